import Dispatch
@testable import Service
import Synchronization
import Testing

private final class Count: Sendable {
    private let count = Atomic<Int>(0)
    @discardableResult
    func add() -> Int { count.add(1, ordering: .relaxed).newValue }
    var value: Int { count.load(ordering: .relaxed) }
}

/// A gate work blocks on until the test opens it (or two minutes pass, so a failing test cannot
/// hang). Not seconds: in a full parallel run on two cores, tests that block their threads (child
/// processes, servers) can hold the test's tasks back for tens of seconds, and a gate that opened
/// by itself would end the work before the callers it is there for arrive.
private final class Gate: Sendable {
    private let semaphore = DispatchSemaphore(value: 0)
    func pass() { _ = semaphore.wait(timeout: .now() + 120) }
    func open(_ times: Int = 1) { for _ in 0..<times { semaphore.signal() } }
}

/// Polls `condition` every 5 ms for up to two minutes (see `Gate`).
private func eventually(_ condition: () -> Bool) async throws -> Bool {
    let deadline = ContinuousClock.now + .seconds(120)
    while !condition() && ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(5)) }
    return condition()
}

@Suite("Work many requests wait for at once")
struct SharedWorkTests {
    private enum Failure: Error { case once }

    @Test("callers that arrive while it runs share one run of it")
    func shared() async throws {
        let shared = SharedWork<Int>()
        let runs = Count(), callers = Count()
        let gate = Gate()
        let results = try await withThrowingTaskGroup(of: Int.self) { group in
            for _ in 0..<20 {
                group.addTask {
                    callers.add()
                    return try await shared.value {
                        gate.pass()
                        return runs.add()
                    }
                }
            }
            // All 20 in: the one that started the work, and 19 sharing it.
            #expect(try await eventually { callers.value == 20 && shared.callersSharing == 19 })
            gate.open(20)  // had each caller run the work, none would hang
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(runs.value == 1)
        #expect(results == Array(repeating: 1, count: 20))
    }

    @Test("work that does not reach as far as a caller needs is not shared with it; finished work is not kept")
    func covering() async throws {
        let shared = SharedWork<UInt64>()
        let gate = Gate()
        let started = Count(), asking = Count(), ranAgain = Count()
        let first = Task { try await shared.value(covering: 5, reach: { 5 }) { started.add(); gate.pass(); return 5 } }
        #expect(try await eventually { started.value == 1 })
        // Under way (held at the gate) and reaching 5: shared with a caller needing 3…
        let joined = Task {
            asking.add()
            return try await shared.value(covering: 3, reach: { 9 }) { ranAgain.add(); return 9 }
        }
        #expect(try await eventually { asking.value == 1 && shared.callersSharing == 1 })
        // …not with one needing 7, which runs its own.
        #expect(try await shared.value(covering: 7, reach: { 7 }) { 7 } == 7)
        gate.open()
        #expect(try await first.value == 5)
        #expect(try await joined.value == 5, "the work under way reached 5")
        #expect(ranAgain.value == 0)
        // Finished: the next caller starts afresh, even needing less.
        #expect(try await shared.value(covering: 1, reach: { 11 }) { 11 } == 11)
    }

    @Test("a failure ends the work for those who shared it; an older failure does not drop newer work")
    func failures() async throws {
        let shared = SharedWork<UInt64>()
        let older = Gate(), newer = Gate()
        let runs = Count()
        let a = Task { try await shared.value(covering: 5, reach: { 5 }) { runs.add(); older.pass(); throw Failure.once } }
        #expect(try await eventually { runs.value == 1 })
        let b = Task { try await shared.value(covering: 6, reach: { 6 }) { runs.add(); newer.pass(); return 6 } }
        #expect(try await eventually { runs.value == 2 })
        older.open()
        await #expect(throws: Failure.self) { try await a.value }
        // B is still under way and reaches 6: a caller needing 6 joins it rather than starting a third run.
        let asking = Count()
        let c = Task {
            asking.add()
            return try await shared.value(covering: 6, reach: { 6 }) { runs.add(); return 60 }
        }
        #expect(try await eventually { asking.value == 1 && shared.callersSharing == 1 })
        newer.open()
        #expect(try await b.value == 6)
        #expect(try await c.value == 6)
        #expect(runs.value == 2)
        #expect(try await shared.value(covering: 8, reach: { 8 }) { 8 } == 8, "after the work ends the next caller starts again")
    }
}
