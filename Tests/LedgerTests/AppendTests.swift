import Testing
import Dispatch
import Foundation
import Synchronization
import Ledger
import LMDB

@Suite("Appending")
struct AppendTests {
    @Test("events get gapless sequence numbers and per-customer versions, and read back whole")
    func appendAndRead() async throws {
        let dir = Scratch("append"); defer { dir.remove() }
        let ledger = try dir.ledger(); defer { ledger.close() }
        let a = try await ledger.append(Controls.visit("C1", minute: 1))
        let b = try await ledger.append(Controls.visit("C2", minute: 2))
        let c = try await ledger.append(Controls.visit("C1", minute: 3))
        #expect([a.sequence, b.sequence, c.sequence] == [1, 2, 3])
        #expect([a.streamVersion, b.streamVersion, c.streamVersion] == [1, 1, 2])
        let event = try #require(try ledger.event(3))
        #expect(event.customer == "C1")
        #expect(event.streamVersion == 2)
        #expect(event.occurredAt == Timestamp(microseconds: Controls.base + 180_000_000, offsetMinutes: 480))
        #expect(String(decoding: event.payload, as: UTF8.self) == "{\"minute\":3}")
        #expect(try ledger.streamVersion(of: "C1") == 2)
        #expect(try ledger.streamVersion(of: "C9") == 0)
        #expect(try ledger.event(4) == nil)
    }

    @Test("an appender that names where to continue continues there, once its events are durable")
    func resumption() async throws {
        let dir = Scratch("resume"); defer { dir.remove() }
        let ledger = try dir.ledger(); defer { ledger.close() }
        let queue = DispatchQueue(label: "appender's own thread")
        let key = DispatchSpecificKey<Int>()
        queue.setSpecific(key: key, value: 7)
        let calls = Counter()
        let results = await ledger.append([Controls.visit("C1", minute: 1), Controls.visit("C2", minute: 2)], resumingOn: { work in
            calls.add()
            queue.async {
                // The events are durable before the appender continues.
                #expect((try? ledger.streamVersion(of: "C2")) == 1)
                #expect(DispatchQueue.getSpecific(key: key) == 7)
                work()
            }
        })
        #expect(results.map { (try? $0.get())?.sequence } == [1, 2])
        #expect(calls.value == 1, "one hop per append, not per event")
    }

    @Test("the group-commit writer is a thread named ledger-writer, for top -H, perf and /proc")
    func writerThreadName() async throws {
        let dir = Scratch("writer-name"); defer { dir.remove() }
        let ledger = try dir.ledger(); defer { ledger.close() }
        _ = await ledger.append([Controls.visit("C1", minute: 1)], resumingOn: { $0() })
        let tasks = try FileManager.default.contentsOfDirectory(atPath: "/proc/self/task")
        let names = tasks.compactMap { try? String(contentsOfFile: "/proc/self/task/\($0)/comm", encoding: .utf8) }
        #expect(names.contains("ledger-writer\n"), "\(names)")
    }

    @Test("unmapping the map's pages every few events while writing changes nothing written")
    func releaseWhileWriting() throws {
        let dir = Scratch("release"); defer { dir.remove() }
        var options = LedgerOptions()
        options.create = true
        options.releaseMappedPagesEvery = 3
        let ledger = try Ledger(path: dir.path, options: options); defer { ledger.close() }
        for round in 0..<3 {
            let events = (0..<200).map { i in
                Controls.visit("C\((i * 7919 + round) % 37)", minute: Int64(round * 200 + i),
                               source: SourceReference(source: "pos", externalId: "r\(round)-\(i)"))
            }
            let results = ledger.appendAndWait(events + events.prefix(5))   // the last five are duplicates
            #expect(results.allSatisfy { (try? $0.get()) != nil })
            #expect(results.suffix(5).allSatisfy { (try? $0.get().duplicate) == true })
        }
        let report = try ledger.verify()
        #expect(report.isSound)
        #expect(report.events == 600)
        #expect(try ledger.event(600)?.payload == Array("{\"minute\":599}".utf8))
        #expect(try ledger.sequence(of: SourceReference(source: "pos", externalId: "r1-17")) == 218)
    }

    @Test("observations take no place in the stream: a writer's expected version never goes stale by a read")
    func observationsKeepVersions() async throws {
        let dir = Scratch("observations"); defer { dir.remove() }
        let ledger = try dir.ledger(observationTypes: ["Looked"]); defer { ledger.close() }
        let first = try await ledger.append(Controls.visit("C1", expected: .noStream))
        #expect(first.streamVersion == 1)
        for minute in 1...3 {
            let seen = try await ledger.append(Controls.visit("C1", minute: Int64(minute), type: "Looked"))
            #expect(seen.streamVersion == 1, "an observation carries the version it observed")
        }
        #expect(try ledger.streamVersion(of: "C1") == 1)
        // Three observations since version 1: a writer that last saw version 1 is not stale.
        let second = try await ledger.append(Controls.visit("C1", minute: 4, expected: .exactly(1)))
        #expect(second.streamVersion == 2)
        // A change since version 1: stale now.
        await #expect(throws: AppendError.versionConflict(customer: "C1", expected: .exactly(1), actual: 2)) {
            _ = try await ledger.append(Controls.visit("C1", minute: 5, expected: .exactly(1)))
        }
        await #expect(throws: AppendError.versionConflict(customer: "C1", expected: .noStream, actual: 2)) {
            _ = try await ledger.append(Controls.visit("C1", minute: 5, expected: .noStream))
        }
        // An observation in the same transaction as the write changes nothing either.
        let batch = ledger.appendAndWait([Controls.visit("C1", minute: 6, type: "Looked"), Controls.visit("C1", minute: 7, expected: .exactly(2))])
        #expect(try batch[0].get().streamVersion == 2)
        #expect(try batch[1].get().streamVersion == 3)
        #expect(try ledger.head().sequence == 7)
        // The customer's scan returns every event, observations included, in log order.
        #expect(try ledger.all(.customer("C1")).map(\.sequence) == Array(1...7))
        #expect(try ledger.verify().isSound)
    }

    @Test("without observation types an expected version is strict")
    func strictVersions() async throws {
        let dir = Scratch("strict"); defer { dir.remove() }
        let ledger = try dir.ledger(); defer { ledger.close() }
        _ = try await ledger.append(Controls.visit("C1", expected: .noStream))
        _ = try await ledger.append(Controls.visit("C1", minute: 1, type: "Looked"))
        await #expect(throws: AppendError.versionConflict(customer: "C1", expected: .exactly(1), actual: 2)) {
            _ = try await ledger.append(Controls.visit("C1", minute: 2, expected: .exactly(1)))
        }
    }

    @Test("a wrong expected version is a conflict and writes nothing")
    func versionConflict() async throws {
        let dir = Scratch("conflict"); defer { dir.remove() }
        let ledger = try dir.ledger(); defer { ledger.close() }
        _ = try await ledger.append(Controls.visit("C1", expected: .noStream))
        await #expect(throws: AppendError.versionConflict(customer: "C1", expected: .noStream, actual: 1)) {
            _ = try await ledger.append(Controls.visit("C1", expected: .noStream))
        }
        await #expect(throws: AppendError.versionConflict(customer: "C1", expected: .exactly(3), actual: 1)) {
            _ = try await ledger.append(Controls.visit("C1", source: SourceReference(source: "pos", externalId: "R9"), expected: .exactly(3)))
        }
        #expect(try ledger.head().sequence == 1)
        // The refused event's source id was not claimed: it can be appended once the version is right.
        #expect(try ledger.sequence(of: SourceReference(source: "pos", externalId: "R9")) == nil)
        let ok = try await ledger.append(Controls.visit("C1", source: SourceReference(source: "pos", externalId: "R9"), expected: .exactly(1)))
        #expect(ok.sequence == 2 && ok.streamVersion == 2 && !ok.duplicate)
    }

    @Test("an event whose source id is already in the log returns the existing sequence number and writes nothing")
    func idempotency() async throws {
        let dir = Scratch("idem"); defer { dir.remove() }
        let ledger = try dir.ledger(); defer { ledger.close() }
        let ref = SourceReference(source: "shopify:kidsliving", externalId: "#1043/2")
        let first = try await ledger.append(Controls.visit("C1", source: ref))
        _ = try await ledger.append(Controls.visit("C2"))
        // A retry, even with an expected version that no longer holds, is a duplicate, not a conflict.
        let again = try await ledger.append(Controls.visit("C1", source: ref, expected: .noStream))
        #expect(again == AppendReceipt(sequence: first.sequence, streamVersion: 1, duplicate: true))
        #expect(try ledger.head().sequence == 2)
        // Two copies in one batch: the second is the duplicate of the first.
        let other = SourceReference(source: "pos", externalId: "R2")
        let results = await ledger.append([Controls.visit("C3", source: other), Controls.visit("C3", source: other)])
        #expect(try results[0].get().duplicate == false)
        #expect(try results[1].get() == AppendReceipt(sequence: 3, streamVersion: 1, duplicate: true))
        #expect(try ledger.verify().isSound)
    }

    @Test("one bad event in a batch does not fail its neighbours")
    func badNeighbour() async throws {
        let dir = Scratch("neighbour"); defer { dir.remove() }
        let ledger = try dir.ledger(); defer { ledger.close() }
        let tooLong = String(repeating: "x", count: 200)
        let results = await ledger.append([
            Controls.visit("C1"),
            Controls.visit(tooLong),
            Controls.visit("C1", expected: .noStream),
            Controls.visit("C2"),
        ])
        #expect(try results[0].get().sequence == 1)
        #expect(throws: AppendError.invalid(field: "customer", reason: "is 200 bytes long; at most 128 are allowed")) { try results[1].get() }
        #expect(throws: AppendError.versionConflict(customer: "C1", expected: .noStream, actual: 1)) { try results[2].get() }
        #expect(try results[3].get().sequence == 2)
        #expect(try ledger.head().sequence == 2)
    }

    @Test("empty required fields are refused by name")
    func emptyFields() async throws {
        let dir = Scratch("empty"); defer { dir.remove() }
        let ledger = try dir.ledger(); defer { ledger.close() }
        var event = Controls.visit("C1")
        event.store = ""
        await #expect(throws: AppendError.invalid(field: "store", reason: "must not be empty")) { _ = try await ledger.append(event) }
        #expect(try ledger.head().sequence == 0)
    }

    @Test("ids in another Unicode spelling than NFC are refused by name, so one text is one stream")
    func canonicalIds() async throws {
        let dir = Scratch("nfc"); defer { dir.remove() }
        let ledger = try dir.ledger(); defer { ledger.close() }
        let composed = "Caf\u{E9}-1", decomposed = "Cafe\u{301}-1"
        #expect(composed == decomposed, "Swift calls the two spellings equal; the ledger's indexes would not")
        let results = await ledger.append([
            Controls.visit(composed),
            Controls.visit(decomposed),
            Controls.visit("C2", store: "\u{F900}-store"),         // a CJK compatibility ideograph (NFC: U+8C48)
            Controls.visit("C3", actor: "staff-\u{1100}\u{1161}"),  // Hangul jamo (NFC: the syllable U+AC00)
            Controls.visit("C4", store: "\u{8C48}-store", actor: "staff-\u{AC00}"),
        ])
        #expect(try results[0].get().sequence == 1)
        for (i, field) in [(1, "customer"), (2, "store"), (3, "actor")] {
            #expect(throws: AppendError.self) { try results[i].get() }
            if case .failure(.invalid(let f, let reason)) = results[i] {
                #expect(f == field)
                #expect(reason.contains("normalization form C"))
            } else {
                Issue.record("event \(i) was not refused as invalid")
            }
        }
        #expect(try results[4].get().sequence == 2)
        #expect(try ledger.head().sequence == 2)
        #expect(try ledger.streamVersion(of: composed) == 1)
    }

    @Test("NFC: ASCII and composed text pass as they are; other spellings are composed")
    func canonicalText() {
        #expect(CanonicalText.isNormalized("C0001"))
        #expect(CanonicalText.isNormalized("王芳 Café"))
        #expect(!CanonicalText.isNormalized("Cafe\u{301}"))
        #expect(CanonicalText.normalized("Cafe\u{301}").unicodeScalars.map(\.value) == [0x43, 0x61, 0x66, 0xE9])
        #expect(CanonicalText.normalized("\u{F900}").unicodeScalars.map(\.value) == [0x8C48])
        #expect(CanonicalText.normalized("\u{1100}\u{1161}").unicodeScalars.map(\.value) == [0xAC00])
        #expect(CanonicalText.normalized("C0001") == "C0001")
    }

    @Test("appends survive closing and reopening, and the chain goes on from the stored head")
    func reopen() async throws {
        let dir = Scratch("reopen"); defer { dir.remove() }
        var ledger = try dir.ledger()
        _ = try await ledger.append(Controls.visit("C1"))
        let head = try ledger.head()
        ledger.close()
        ledger = try Ledger(path: dir.path)
        defer { ledger.close() }
        #expect(try ledger.head() == head)
        let next = try await ledger.append(Controls.visit("C1"))
        #expect(next.sequence == 2 && next.streamVersion == 2)
        #expect(try ledger.verify().isSound)
    }

    @Test("opening a folder without a ledger says how to create one")
    func notFound() throws {
        let dir = Scratch("missing"); defer { dir.remove() }
        #expect(throws: LedgerError.self) { _ = try Ledger(path: dir.path + "/nothing") }
        do { _ = try Ledger(path: dir.path) } catch { #expect("\(error)".contains("clientele init")) }
    }

    @Test("a ledger that starts with a tiny map grows it and keeps every event")
    func growth() async throws {
        let dir = Scratch("growth"); defer { dir.remove() }
        let ledger = try dir.ledger(initialMapSize: 256 << 10); defer { ledger.close() }
        var events: [NewEvent] = []
        for i in 0..<5_000 { events.append(Controls.visit("C\(i % 300)", minute: Int64(i), source: SourceReference(source: "t", externalId: "\(i)"))) }
        let results = await ledger.append(events)
        #expect(results.allSatisfy { (try? $0.get()) != nil })
        #expect(try ledger.head().sequence == 5_000)
        #expect(ledger.storage.currentMapSize > 256 << 10)
        #expect(try ledger.verify().isSound)
    }
}

/// Counts calls from any thread.
final class Counter: Sendable {
    private let count = Mutex(0)
    func add() { count.withLock { $0 += 1 } }
    var value: Int { count.withLock { $0 } }
}
