import Dispatch
import Synchronization

/// Runs blocking work — a report over every customer, a fold of the log as of a past point — on
/// Dispatch's pool rather than on the calling task's executor. `clientele serve` runs tasks on
/// NIO's event loops (`ServeRuntime`), and seconds of synchronous work there would stall every
/// connection of that loop; quick reads (a customer's 360 view now) stay where they are.
func offloaded<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        DispatchQueue.global().async {
            continuation.resume(with: Result { try body() })
        }
    }
}

/// Blocking work that many requests may wait for at once — the first ranking of all customers,
/// a catch-up of the read models — done once, off the event loops, for all of them: the others
/// await the same task and hold no thread meanwhile. Work in hand is shared when it reaches as
/// far as a caller needs (`covering`: a sequence number, or 0 for "any"); a failure lets the next
/// caller start again.
final class SharedWork<Value: Sendable>: Sendable {
    private let current = Mutex<(reaches: UInt64, task: Task<Value, any Error>)?>(nil)

    /// Awaits the work in hand if it reaches `needed`, else starts `work`, which will reach
    /// `reach()` (read when it starts).
    func value(covering needed: UInt64 = 0, reach: () -> UInt64 = { 0 },
               _ work: @escaping @Sendable () throws -> Value) async throws -> Value {
        let task = current.withLock { current -> Task<Value, any Error> in
            if let current, current.reaches >= needed { return current.task }
            let reaches = reach()
            let started = Task { [self] in
                do {
                    return try await offloaded(work)
                } catch {
                    self.current.withLock { if $0?.reaches == reaches { $0 = nil } }
                    throw error
                }
            }
            current = (reaches, started)
            return started
        }
        return try await task.value
    }
}
