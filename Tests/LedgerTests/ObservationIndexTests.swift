import Testing
import Ledger
import LMDB

/// Observations (access records) stay out of by_customer and are filed in by_observed in
/// batches; a customer's scan returns them merged with the stream, filed or not.
@Suite("Observation index")
struct ObservationIndexTests {
    func entries(_ ledger: Ledger, _ name: String) throws -> Int {
        let db = try ledger.storage.database(name)
        return try ledger.storage.read { (txn: borrowing Transaction) throws -> Int in try txn.stat(db).entries }
    }

    @Test("a customer's scan merges filed and unfiled observations with the stream, in log order; verify holds at every step")
    func scanMergesObservations() throws {
        let dir = Scratch("observed"); defer { dir.remove() }
        let ledger = try dir.ledger(observationTypes: ["Looked"]); defer { ledger.close() }
        var events: [NewEvent] = []
        for minute in 0..<60 {
            let customer = "C\(minute % 3)"
            events.append(Controls.visit(customer, minute: Int64(minute), type: minute % 4 == 1 ? "Looked" : "VisitRecorded"))
        }
        _ = ledger.appendAndWait(events)
        let expected = { (c: String) in events.enumerated().filter { $0.element.customer == c }.map { UInt64($0.offset + 1) } }
        #expect(try ledger.all(.customer("C1")).map(\.sequence) == expected("C1"))
        #expect(try entries(ledger, "by_observed") == 0)
        #expect(try ledger.verify().isSound)

        #expect(try ledger.indexObservations() == 15)
        #expect(try entries(ledger, "by_observed") == 15)
        #expect(try ledger.indexObservations() == 0, "nothing new to file")
        #expect(try ledger.verify().isSound)
        for c in ["C0", "C1", "C2"] { #expect(try ledger.all(.customer(c)).map(\.sequence) == expected(c)) }

        // More after filing: filed ones, then the stream and the unfiled ones, all in order.
        var more: [NewEvent] = []
        for minute in 60..<80 { more.append(Controls.visit("C1", minute: Int64(minute), type: minute % 2 == 0 ? "Looked" : "VisitRecorded")) }
        _ = ledger.appendAndWait(more)
        let all = events + more
        let c1 = all.enumerated().filter { $0.element.customer == "C1" }.map { UInt64($0.offset + 1) }
        #expect(try ledger.all(.customer("C1")).map(\.sequence) == c1)
        #expect(try ledger.verify().isSound)
        // A range from 0 (as from 1), a range, and a scan that stops early.
        #expect(try ledger.all(EventQuery(.customer("C1"), sequences: 0...UInt64.max)).map(\.sequence) == c1)
        #expect(try ledger.all(EventQuery(.customer("C1"), sequences: 30...70)).map(\.sequence) == c1.filter { (30...70).contains($0) })
        var firstThree: [UInt64] = []
        try ledger.scan(.customer("C1")) { firstThree.append($0.sequence); return firstThree.count < 3 }
        #expect(firstThree == Array(c1.prefix(3)))
        // Without observations: the stream only.
        var stream = EventQuery.customer("C1")
        stream.includesObservations = false
        #expect(try ledger.all(stream).map(\.sequence) == all.enumerated().filter { $0.element.customer == "C1" && $0.element.type != "Looked" }.map { UInt64($0.offset + 1) })
    }

    @Test("a scan that finds many unfiled observations files them first")
    func scanFilesALongTail() throws {
        let dir = Scratch("observed-tail"); defer { dir.remove() }
        let ledger = try dir.ledger(observationTypes: ["Looked"]); defer { ledger.close() }
        _ = ledger.appendAndWait((0..<100).map { Controls.visit("C\($0)", minute: Int64($0)) })
        for round in 0..<5 {
            _ = ledger.appendAndWait((0..<5_000).map { i in Controls.visit("C\(i % 100)", minute: Int64(round * 5_000 + i), type: "Looked") })
        }
        #expect(try entries(ledger, "by_observed") == 0)
        let c7 = try ledger.all(.customer("C7"))
        #expect(c7.count == 1 + 250 && c7.first?.type == "VisitRecorded" && c7.dropFirst().allSatisfy { $0.type == "Looked" })
        #expect(try entries(ledger, "by_observed") == 25_000, "the scan filed the 25,000 observations before reading")
        #expect(try ledger.verify().isSound)
    }

    @Test("verify reports a by_observed entry missing, and one that no observation calls for")
    func verifyChecksTheObservationIndex() throws {
        let dir = Scratch("observed-verify"); defer { dir.remove() }
        let ledger = try dir.ledger(observationTypes: ["Looked"]); defer { ledger.close() }
        _ = ledger.appendAndWait([Controls.visit("C1"), Controls.visit("C1", minute: 1, type: "Looked"), Controls.visit("C2", minute: 2, type: "Looked")])
        try ledger.indexObservations()
        #expect(try ledger.verify().isSound)
        let db = try ledger.storage.database("by_observed")
        func key(_ customer: String, _ sequence: UInt64) -> [UInt8] {
            [UInt8(customer.utf8.count)] + Array(customer.utf8) + withUnsafeBytes(of: sequence.bigEndian) { Array($0) }
        }
        try ledger.storage.write { (txn: borrowing Transaction) throws in
            _ = try key("C2", 3).withUnsafeBytes { k in try txn.delete(db, key: k) }
        }
        var report = try ledger.verify()
        #expect(!report.isSound && report.firstBadSequence == 3)
        #expect(report.problems.contains { $0.contains("by_observed") }, "\(report.problems)")
        try ledger.storage.write { (txn: borrowing Transaction) throws in
            try key("C2", 3).withUnsafeBytes { k in try txn.put(db, key: k, value: UnsafeRawBufferPointer(start: nil, count: 0)) }
            try key("C9", 1).withUnsafeBytes { k in try txn.put(db, key: k, value: UnsafeRawBufferPointer(start: nil, count: 0)) }
        }
        report = try ledger.verify()
        #expect(!report.isSound && report.firstBadSequence == 1, "\(report.problems)")
    }

    @Test("observation types named at an open count from the next event on, and stay stored")
    func adoptsTypesAtOpen() async throws {
        let dir = Scratch("observed-adopt"); defer { dir.remove() }
        do {
            let plain = try dir.ledger(); defer { plain.close() }
            _ = plain.appendAndWait([Controls.visit("C1"), Controls.visit("C1", minute: 1, type: "Looked")])
            #expect(try plain.streamVersion(of: "C1") == 2, "no observation types: a change like any other")
        }
        do {
            let watching = try dir.ledger(observationTypes: ["Looked"]); defer { watching.close() }
            let seen = try await watching.append(Controls.visit("C1", minute: 2, type: "Looked"))
            #expect(seen.streamVersion == 2)
            #expect(try watching.streamVersion(of: "C1") == 2)
            #expect(try watching.verify().isSound)
        }
        // Opened again without naming them: the stored types still count.
        let again = try dir.ledger(); defer { again.close() }
        let seen = try await again.append(Controls.visit("C1", minute: 3, type: "Looked"))
        #expect(seen.streamVersion == 2)
        #expect(try again.all(.customer("C1")).map(\.sequence) == [1, 2, 3, 4])
        #expect(try again.verify().isSound)
    }

    @Test("a ledger of format 2 is upgraded: its old observations keep their stream positions, new ones take none")
    func upgradeFromFormat2() async throws {
        let dir = Scratch("observed-upgrade"); defer { dir.remove() }
        do {
            // Without observation types, "Looked" takes a stream position, as format 2 gave every access record.
            let old = try dir.ledger(); defer { old.close() }
            _ = old.appendAndWait([Controls.visit("C1"), Controls.visit("C1", minute: 1, type: "Looked"), Controls.visit("C1", minute: 2, type: "Looked")])
            #expect(try old.streamVersion(of: "C1") == 3)
        }
        try dir.setFormat("clientele-ledger/2", removing: ["observation-types", "observations-indexed"])
        var options = LedgerOptions()
        options.observationTypes = ["Looked"]
        #expect {
            _ = try Ledger(path: dir.path, options: options)
        } throws: { error in
            guard case LedgerError.upgradeNeeded(_, let found) = error else { return false }
            return found == "clientele-ledger/2"
        }
        options.upgrade = true
        let ledger = try Ledger(path: dir.path, options: options); defer { ledger.close() }
        let done = try #require(ledger.upgraded)
        #expect(done.from == "clientele-ledger/2" && done.to == Ledger.formatTag && done.observationsFrom == 4 && done.sourceEntries == 0)
        #expect(try ledger.verify().isSound)
        // A writer that saw version 1 passes over the two old observations after it.
        let write = try await ledger.append(Controls.visit("C1", minute: 3, expected: .exactly(1)))
        #expect(write.streamVersion == 4)
        let seen = try await ledger.append(Controls.visit("C1", minute: 4, type: "Looked"))
        #expect(seen.streamVersion == 4 && seen.sequence == 5)
        #expect(try ledger.streamVersion(of: "C1") == 4)
        #expect(try ledger.all(.customer("C1")).map(\.sequence) == [1, 2, 3, 4, 5])
        #expect(try ledger.verify().isSound)
        #expect(try ledger.indexObservations() == 1)
        #expect(try ledger.all(.customer("C1")).map(\.sequence) == [1, 2, 3, 4, 5])
        #expect(try ledger.verify().isSound)
    }
}
