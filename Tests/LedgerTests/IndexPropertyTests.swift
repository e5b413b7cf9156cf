import Testing
import TestSupport
import Ledger

@Suite("Reading by every index")
struct IndexPropertyTests {
    @Test("random batches read back identically through the log and every index", arguments: [1 as UInt64, 2, 3, 4])
    func property(seed: UInt64) async throws {
        let dir = Scratch("prop"); defer { dir.remove() }
        let ledger = try dir.ledger(); defer { ledger.close() }
        var random = SplitMix64(seed: seed)
        var model: [NewEvent] = []        // what we appended, in sequence order
        var sources = Set<SourceReference>()
        for _ in 0..<Int.random(in: 5...15, using: &random) {
            var batch: [NewEvent] = []
            for _ in 0..<Int.random(in: 1...200, using: &random) {
                let customer = "C\(Int.random(in: 0..<40, using: &random))"
                let minute = Int64.random(in: -5_000...5_000, using: &random) // business time is not log order
                let source: SourceReference? = Bool.random(using: &random)
                    ? SourceReference(source: "pos\(Int.random(in: 0..<3, using: &random))", externalId: "R\(Int.random(in: 0..<400, using: &random))")
                    : nil
                batch.append(Controls.visit(customer, store: "S\(Int.random(in: 0..<5, using: &random))",
                                            actor: "staff-\(Int.random(in: 0..<7, using: &random))", minute: minute,
                                            source: source, type: ["VisitRecorded", "PurchaseRecorded", "ComplaintFiled"].randomElement(using: &random)!))
            }
            let results = await ledger.append(batch)
            for (event, result) in zip(batch, results) {
                let receipt = try result.get()
                if let s = event.source, sources.contains(s) {
                    #expect(receipt.duplicate)
                } else {
                    #expect(!receipt.duplicate)
                    #expect(receipt.sequence == UInt64(model.count + 1))
                    model.append(event)
                    if let s = event.source { sources.insert(s) }
                }
            }
        }
        let all = try ledger.all(.all())
        #expect(all.map(\.sequence) == Array(1...UInt64(model.count)))
        for (stored, original) in zip(all, model) {
            #expect(stored.customer == original.customer && stored.type == original.type && stored.store == original.store
                    && stored.actor == original.actor && stored.occurredAt == original.occurredAt
                    && stored.source == original.source && stored.payload == original.payload)
        }
        func expectIndex(_ query: EventQuery, _ keep: (RecordedEvent) -> Bool) throws {
            let got = try ledger.all(query).map(\.sequence)
            let want = all.filter(keep).map(\.sequence)
            #expect(got == want, "query \(query)")
        }
        for c in Set(model.map(\.customer)) {
            try expectIndex(.customer(c)) { $0.customer == c }
            let versions = try ledger.all(.customer(c)).map(\.streamVersion)
            #expect(versions == Array(1...UInt32(versions.count)))
        }
        for t in Set(model.map(\.type)) { try expectIndex(.type(t)) { $0.type == t } }
        for s in Set(model.map(\.store)) { try expectIndex(.store(s)) { $0.store == s } }
        for a in Set(model.map(\.actor)) { try expectIndex(.actor(a)) { $0.actor == a } }
        for s in sources {
            let seq = try ledger.sequence(of: s)
            #expect(seq == all.first(where: { $0.source == s })?.sequence)
        }
        // A time window, in time order (ties by sequence).
        let from = Timestamp(microseconds: Controls.base - 1_000 * 60_000_000)
        let until = Timestamp(microseconds: Controls.base + 2_000 * 60_000_000)
        let window = try ledger.all(.occurred(from: from, until: until))
        let want = all.filter { $0.occurredAt.microseconds >= from.microseconds && $0.occurredAt.microseconds < until.microseconds }
            .sorted { ($0.occurredAt.microseconds, $0.sequence) < ($1.occurredAt.microseconds, $1.sequence) }
        #expect(window.map(\.sequence) == want.map(\.sequence))
        // A sequence range, and a sequence range through an index.
        let middle = UInt64(model.count / 3)...UInt64(2 * model.count / 3)
        #expect(try ledger.all(.all(from: middle.lowerBound, through: middle.upperBound)).map(\.sequence) == Array(middle))
        let store0 = try ledger.all(EventQuery(.store("S0"), sequences: middle)).map(\.sequence)
        #expect(store0 == all.filter { $0.store == "S0" && middle.contains($0.sequence) }.map(\.sequence))
        // The same events through scans that copy the log's pages (pread) instead of mapping them:
        // the log in order, and the events the other indexes list.
        for query in [EventQuery.type("PurchaseRecorded"), .store("S1"), .actor("staff-3"), .occurred(from: from, until: until),
                      EventQuery(.store("S0"), sequences: middle)] {
            var copying = query
            copying.copiesPages = true
            #expect(try ledger.all(copying) == ledger.all(query), "query \(query)")
        }
        var copying = EventQuery.all()
        copying.copiesPages = true
        #expect(try ledger.all(copying) == all)
        copying.sequences = middle
        #expect(try ledger.all(copying) == Array(all[Int(middle.lowerBound - 1)..<Int(middle.upperBound)]))
        let report = try ledger.verify()
        #expect(report.isSound, "\(report.problems)")
        #expect(report.events == UInt64(model.count))
    }

    @Test("a scan stops when the body returns false")
    func stop() async throws {
        let dir = Scratch("stop"); defer { dir.remove() }
        let ledger = try dir.ledger(); defer { ledger.close() }
        _ = await ledger.append((0..<10).map { Controls.visit("C\($0)") })
        var seen = 0
        try ledger.scan(.all()) { _ in seen += 1; return seen < 4 }
        #expect(seen == 4)
        var copying = EventQuery.all()
        copying.copiesPages = true
        seen = 0
        try ledger.scan(copying) { _ in seen += 1; return seen < 4 }
        #expect(seen == 4)
    }
}
