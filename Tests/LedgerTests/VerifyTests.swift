import Testing
import Ledger
import LMDB

/// Tampering with the stored bytes through LMDB itself, as anyone with LMDB's tools could.
@Suite("Tamper evidence")
struct VerifyTests {
    func populated(_ label: String) async throws -> (Scratch, Ledger) {
        let dir = Scratch(label)
        let ledger = try dir.ledger()
        let events = (0..<50).map { i in
            Controls.visit("C\(i % 7)", store: "S\(i % 3)", minute: Int64(i), source: SourceReference(source: "pos", externalId: "R\(i)"))
        }
        _ = await ledger.append(events)
        #expect(try ledger.verify().isSound)
        return (dir, ledger)
    }

    /// Rewrites the stored value of event `sequence` with `change` applied.
    func rewrite(_ ledger: Ledger, sequence: UInt64, _ change: (inout [UInt8]) -> Void) throws {
        let log = try ledger.storage.database("log")
        try ledger.storage.write { (txn: borrowing Transaction) throws in
            var key = sequence.bigEndian
            try withUnsafeBytes(of: &key) { k in
                var value = [UInt8](try #require(try txn.get(log, key: k)))
                change(&value)
                try value.withUnsafeBytes { v in try txn.put(log, key: k, value: v) }
            }
        }
    }

    @Test("a flipped byte anywhere in an event is reported at that event", arguments: [0, 3, 9, 17, 40, 50, 60, -1, -32])
    func flippedByte(offset: Int) async throws {
        let (dir, ledger) = try await populated("flip")
        defer { ledger.close(); dir.remove() }
        try rewrite(ledger, sequence: 23) { v in
            let at = offset >= 0 ? min(offset, v.count - 1) : v.count + offset
            v[at] ^= 0x01
        }
        let report = try ledger.verify()
        #expect(!report.isSound)
        #expect(report.firstBadSequence == 23, "\(report.problems)")
    }

    @Test("every byte of one event, flipped in turn, is caught at that event")
    func everyByte() async throws {
        let (dir, ledger) = try await populated("every")
        defer { ledger.close(); dir.remove() }
        let log = try ledger.storage.database("log")
        let size = try ledger.storage.read { (txn: borrowing Transaction) throws -> Int in
            var key = UInt64(31).bigEndian
            return try withUnsafeBytes(of: &key) { k in try txn.get(log, key: k)!.count }
        }
        for offset in 0..<size {
            try rewrite(ledger, sequence: 31) { $0[offset] ^= 0x80 }
            let report = try ledger.verify()
            #expect(report.firstBadSequence == 31, "byte \(offset): \(report.problems)")
            try rewrite(ledger, sequence: 31) { $0[offset] ^= 0x80 }
        }
        #expect(try ledger.verify().isSound)
    }

    @Test("a re-hashed forgery is caught at the next link")
    func forgery() async throws {
        let (dir, ledger) = try await populated("forge")
        defer { ledger.close(); dir.remove() }
        let previous = try #require(try ledger.event(9)).chainHash
        try rewrite(ledger, sequence: 10) { v in
            v[v.count - 33] ^= 0x01 // last payload byte
            let envelope = v.count - 32
            let hash = v.withUnsafeBytes { ChainHash.link(previous: previous, event: UnsafeRawBufferPointer(rebasing: $0[0..<envelope])) }
            v.withUnsafeMutableBytes { hash.store(into: UnsafeMutableRawBufferPointer(rebasing: $0[envelope...])) }
        }
        let report = try ledger.verify()
        #expect(report.firstBadSequence == 11, "\(report.problems)")
    }

    @Test("a missing index entry is reported at its event")
    func missingIndexEntry() async throws {
        let (dir, ledger) = try await populated("index")
        defer { ledger.close(); dir.remove() }
        let byStore = try ledger.storage.database("by_store")
        try ledger.storage.write { (txn: borrowing Transaction) throws in
            var key: [UInt8] = [2] + Array("S1".utf8)
            var seq = UInt64(17).bigEndian // event 17 is the 17th appended (i = 16): store S(16 % 3) = S1
            withUnsafeBytes(of: &seq) { key += $0 }
            let removed = try key.withUnsafeBytes { try txn.delete(byStore, key: $0) }
            #expect(removed)
        }
        let report = try ledger.verify()
        #expect(report.firstBadSequence == 17, "\(report.problems)")
    }

    @Test("an index entry pointing at the wrong event is reported")
    func wrongIndexValue() async throws {
        let (dir, ledger) = try await populated("source")
        defer { ledger.close(); dir.remove() }
        let bySource = try ledger.storage.database("by_source")
        try ledger.storage.write { (txn: borrowing Transaction) throws in
            let key = Ledger.sourceIndexKey(SourceReference(source: "pos", externalId: "R40"))
            var seq = UInt64(12).bigEndian
            try key.withUnsafeBytes { k in try withUnsafeBytes(of: &seq) { v in try txn.put(bySource, key: k, value: v) } }
        }
        let report = try ledger.verify()
        #expect(report.firstBadSequence == 12, "\(report.problems)")
    }

    @Test("a removed event is reported as a gap")
    func gap() async throws {
        let (dir, ledger) = try await populated("gap")
        defer { ledger.close(); dir.remove() }
        let log = try ledger.storage.database("log")
        try ledger.storage.write { (txn: borrowing Transaction) throws in
            var key = UInt64(30).bigEndian
            _ = try withUnsafeBytes(of: &key) { try txn.delete(log, key: $0) }
        }
        let report = try ledger.verify()
        #expect(report.firstBadSequence == 30, "\(report.problems)")
    }
}
