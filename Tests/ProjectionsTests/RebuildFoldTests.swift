import Testing
import TestSupport
import CustomerEvents
import Ledger
import LedgerJSON
import Projections
import SyntheticChain
import LMDB

/// The rebuild's own fold (models shared between threads, customer-keyed models by customer slot),
/// and the as-of fold that folds the same way on one thread, against the plain fold by key,
/// event by event, that catch-up uses.
@Suite("Rebuild fold")
struct RebuildFoldTests {
    func same<P: KeyedProjector>(_ p: P, _ f: Fixture, head: UInt64) throws where P.Record: Equatable {
        var plain = InMemoryFold(p, catalog: f.ledger.catalog)
        try f.ledger.ledger.scanRecords(.all(through: head)) { plain.apply($0); return true }
        let byKey = plain.records
        let stored = try f.stored(p)
        #expect(stored.count == byKey.count, "\(P.name): as many records")
        #expect(stored == byKey, "\(P.name): the same records")
        #expect(try f.models.fold(p, asOf: .sequence(head)) == byKey, "\(P.name): as of the head, the same records")
        let ordered = try f.models.snapshot(p, asOf: .sequence(head)).records
        #expect(ordered.map(\.0) == byKey.keys.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }, "\(P.name): a snapshot is in key order")
        #expect(ordered.allSatisfy { byKey[$0.0] == $0.1 }, "\(P.name): a snapshot holds the same records")
    }

    @Test("every stored model rebuilt in one go equals its fold by key, written in batches of any size by both threads",
          arguments: [(seed: 21 as UInt64, recordsPerWrite: 100_000), (22, 100_000), (23, 7), (24, 1)])
    func rebuildEqualsFold(seed: UInt64, recordsPerWrite: Int) throws {
        let f = try Fixture("rebuildfold", recordsPerWrite: recordsPerWrite); defer { f.remove() }
        try f.append(f.chain(customers: 300, days: 200, seed: seed))
        try f.models.rebuild(ProjectionStore.storedModels())
        let head = try f.ledger.ledger.head().sequence
        try same(CustomerSummaryProjector(), f, head: head)
        try same(LoyaltyProjector(), f, head: head)
        try same(ComplaintStatusProjector(), f, head: head)
        try same(DailySummaryProjector(), f, head: head)
        #expect(try f.stored(CustomerSummaryProjector()).count == 300)
    }

    @Test("a store in another spelling of the same text never reaches the folds: the ledger refuses it, so the days by key and by bytes agree")
    func storeDaysByString() throws {
        let f = try Fixture("storeday"); defer { f.remove() }
        // "Café" composed (NFC) and decomposed: other bytes, equal Strings; then another store, another day.
        let visits = [("Caf\u{E9}", "2026-11-21T10:00:00+08:00"), ("Cafe\u{301}", "2026-11-21T11:00:00+08:00"),
                      ("Caf\u{E9}", "2026-11-22T11:00:00+08:00"), ("SH-001", "2026-11-21T12:00:00+08:00")]
        let docs = try visits.map { store, at in
            try JSONParser.parse(#"{"type":"VisitRecorded","schemaVersion":1,"customer":"C-1","store":"\#(store)","actor":"staff-li","channel":"counter","occurredAt":"\#(at)","payload":{"kind":"walk-in"}}"#)
        }
        let results = f.ledger.appendAndWait(docs)
        #expect(results.map { (try? $0.get()) != nil } == [true, false, true, true])
        #expect(throws: (any Error).self) { try results[1].get() }
        try f.models.rebuild(ProjectionStore.storedModels())
        let head = try f.ledger.ledger.head().sequence
        try same(DailySummaryProjector(), f, head: head)
        let stored = try f.stored(DailySummaryProjector())
        #expect(stored.count == 3 && stored.values.map(\.visits).sorted() == [1, 1, 1])
    }
}

@Suite("Rebuild fold: a damaged log")
struct RebuildFailureTests {
    @Test("a rebuild that meets a damaged event in the log fails with the event's number, writes nothing, and leaves no thread waiting")
    func damagedEvent() throws {
        let f = try Fixture("rebuilddamaged", recordsPerWrite: 7); defer { f.remove() }
        try f.append(f.chain(customers: 200, days: 120, seed: 25))
        let head = try f.ledger.ledger.head().sequence
        try f.models.rebuild(ProjectionStore.storedModels())
        let before = try f.stored(CustomerSummaryProjector())
        // Event 40's format byte, changed through LMDB itself.
        let storage = f.ledger.ledger.storage
        let log = try storage.database("log")
        try storage.write { (txn: borrowing Transaction) throws in
            var key = UInt64(40).bigEndian
            try withUnsafeBytes(of: &key) { k in
                var value = [UInt8](try #require(try txn.get(log, key: k)))
                value[0] ^= 0xFF
                try value.withUnsafeBytes { v in try txn.put(log, key: k, value: v) }
            }
        }
        for _ in 0..<2 {
            let error = #expect(throws: LedgerError.self) { try f.models.rebuild(ProjectionStore.storedModels()) }
            #expect("\(error.map { $0 } as Any)".contains("event 40 is damaged"))
            #expect(try f.models.checkpointSequence(CustomerSummaryProjector()) == head, "the live models are the ones built before")
            #expect(try f.stored(CustomerSummaryProjector()) == before)
        }
        #expect(throws: LedgerError.self) { _ = try f.models.fold(CustomerSummaryProjector(), asOf: .sequence(head)) }
    }
}
