import Dispatch
@testable import Service
import Synchronization
import Testing

private final class Runs: Sendable {
    private let count = Atomic<Int>(0)
    func add() -> Int { count.add(1, ordering: .relaxed).newValue }
    var value: Int { count.load(ordering: .relaxed) }
}

@Suite("Work many requests wait for at once")
struct SharedWorkTests {
    private enum Failure: Error { case once }

    @Test("callers that arrive while it runs share one run of it")
    func shared() async throws {
        let shared = SharedWork<Int>()
        let runs = Runs()
        let gate = DispatchSemaphore(value: 0)
        let results = try await withThrowingTaskGroup(of: Int.self) { group in
            for _ in 0..<20 {
                group.addTask {
                    try await shared.value {
                        gate.wait()
                        return runs.add()
                    }
                }
            }
            try await Task.sleep(for: .milliseconds(200))
            gate.signal()
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(results == Array(repeating: 1, count: 20))
        #expect(runs.value == 1)
    }

    @Test("work that does not reach as far as a caller needs is not shared with it; a failure is not kept")
    func covering() async throws {
        let shared = SharedWork<UInt64>()
        #expect(try await shared.value(covering: 5, reach: { 5 }) { 5 } == 5)
        #expect(try await shared.value(covering: 3, reach: { 9 }) { 9 } == 5, "the work in hand reached 5")
        #expect(try await shared.value(covering: 7, reach: { 7 }) { 7 } == 7, "5 is not far enough")
        await #expect(throws: Failure.self) { try await shared.value(covering: 8, reach: { 8 }) { throw Failure.once } }
        #expect(try await shared.value(covering: 8, reach: { 8 }) { 8 } == 8, "after a failure the next caller starts again")
    }
}
