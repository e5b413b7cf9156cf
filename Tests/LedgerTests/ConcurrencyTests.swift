import Testing
import Ledger

@Suite("Concurrent writers")
struct ConcurrencyTests {
    @Test("many concurrent single-event writers get distinct, gapless sequence numbers in fewer commits")
    func groupCommit() async throws {
        let dir = Scratch("group"); defer { dir.remove() }
        let ledger = try dir.ledger(); defer { ledger.close() }
        let writers = 32, each = 40
        let sequences = try await withThrowingTaskGroup(of: [UInt64].self) { group in
            for w in 0..<writers {
                group.addTask {
                    var mine: [UInt64] = []
                    for i in 0..<each {
                        mine.append(try await ledger.append(Controls.visit("C\(w)", minute: Int64(i))).sequence)
                    }
                    return mine
                }
            }
            return try await group.reduce(into: [UInt64]()) { $0 += $1 }
        }
        #expect(sequences.sorted() == Array(1...UInt64(writers * each)))
        let counters = ledger.groupCommitCounters
        #expect(counters.events == writers * each)
        #expect(counters.transactions < writers * each, "group commit should share transactions")
        // Each writer's events are in its stream in the order it appended them.
        for w in 0..<writers {
            let minutes = try ledger.all(.customer("C\(w)")).map { String(decoding: $0.payload, as: UTF8.self) }
            #expect(minutes == (0..<each).map { "{\"minute\":\($0)}" })
        }
        #expect(try ledger.verify().isSound)
    }

    func ledger(_ dir: Scratch, gathering: CommitGathering) throws -> Ledger {
        var options = LedgerOptions()
        options.create = true
        options.commitGathering = gathering
        return try Ledger(path: dir.path, options: options)
    }

    @Test("a small commit waits for more only while several callers keep appending", arguments: [
        // pending, µs since the last commit, callers in it, waits?
        (1, 100, 3, true), (7, 1_900, 2, true),
        (8, 100, 3, false),   // enough events already
        (1, 2_100, 3, false), // a quiet spell: the writer was idle
        (1, 100, 1, false),   // one caller's events, one after another: never waits
    ])
    func gatheringRule(pending: Int, micros: Int, callers: Int, waits: Bool) {
        let rule = CommitGathering(microseconds: 1_000, below: 8)
        #expect(rule.waits(pending: pending, sinceLastCommit: UInt64(micros) * 1_000, lastCommitCallers: callers) == waits)
        #expect(!CommitGathering.off.waits(pending: pending, sinceLastCommit: UInt64(micros) * 1_000, lastCommitCallers: callers))
    }

    @Test("a lone caller appending one event after another never waits for company")
    func loneWriterDoesNotWait() async throws {
        let dir = Scratch("lone"); defer { dir.remove() }
        // A wait so long that every next append arrives within it.
        let ledger = try ledger(dir, gathering: CommitGathering(microseconds: 60_000_000, below: 8)); defer { ledger.close() }
        for i in 0..<20 { _ = try await ledger.append(Controls.visit("C1", minute: Int64(i))) }
        #expect(ledger.groupCommitCounters.transactions == 20)
        #expect(ledger.groupCommitWaits == 0)
    }

    @Test("concurrent callers share fewer, larger commits when small commits wait for company")
    func gatheringSharesCommits() async throws {
        func run(_ gathering: CommitGathering) async throws -> (Int, Int) {
            let dir = Scratch("gather"); defer { dir.remove() }
            let ledger = try ledger(dir, gathering: gathering); defer { ledger.close() }
            try await withThrowingTaskGroup(of: Void.self) { group in
                for w in 0..<12 {
                    group.addTask { for i in 0..<25 { _ = try await ledger.append(Controls.visit("C\(w)", minute: Int64(i))) } }
                }
                try await group.waitForAll()
            }
            #expect(ledger.groupCommitCounters.events == 300)
            #expect(try ledger.verify().isSound)
            return (ledger.groupCommitCounters.transactions, ledger.groupCommitWaits)
        }
        let without = try await run(.off)
        let with = try await run(CommitGathering(microseconds: 20_000, below: 12))
        #expect(without.1 == 0 && with.1 > 0, "waits: \(with.1) with gathering, \(without.1) without")
        #expect(with.0 <= without.0, "\(with.0) commits with gathering, \(without.0) without")
    }

    @Test("racing writers with the same expected version: exactly one wins each round")
    func conflicts() async throws {
        let dir = Scratch("race"); defer { dir.remove() }
        let ledger = try dir.ledger(); defer { ledger.close() }
        for round in 0..<20 {
            let expected: ExpectedVersion = round == 0 ? .noStream : .exactly(UInt32(round))
            let outcomes = await withTaskGroup(of: Bool.self) { group in
                for _ in 0..<8 {
                    group.addTask { (try? await ledger.append(Controls.visit("C1", expected: expected))) != nil }
                }
                return await group.reduce(into: [Bool]()) { $0.append($1) }
            }
            #expect(outcomes.filter { $0 }.count == 1)
        }
        #expect(try ledger.streamVersion(of: "C1") == 20)
        #expect(try ledger.head().sequence == 20)
    }

    @Test("readers scan while the writer appends, each in a consistent snapshot")
    func readersDuringWrites() async throws {
        let dir = Scratch("readers"); defer { dir.remove() }
        let ledger = try dir.ledger(); defer { ledger.close() }
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                for i in 0..<50 { _ = await ledger.append((0..<20).map { Controls.visit("C\($0)", minute: Int64(i)) }) }
            }
            for _ in 0..<4 {
                group.addTask {
                    for _ in 0..<30 {
                        var last: UInt64 = 0
                        try ledger.scan(.all()) { e in
                            #expect(e.sequence == last + 1)
                            last = e.sequence
                            return true
                        }
                        #expect(last % 20 == 0)
                    }
                }
            }
            try await group.waitForAll()
        }
        #expect(try ledger.head().sequence == 1_000)
    }
}
