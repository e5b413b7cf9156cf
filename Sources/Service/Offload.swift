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
/// await the same task and hold no thread meanwhile. Work under way is shared with a caller when
/// it reaches as far as the caller needs (`covering`: a sequence number, or 0 for "any"). Once it
/// ends, well or not, the next caller starts afresh: callers check first whether they need the
/// work at all (a cached value, the models' checkpoints), and nothing finished is kept alive.
final class SharedWork<Value: Sendable>: Sendable {
    private struct Running {
        var id: UInt64
        var reaches: UInt64
        var task: Task<Value, any Error>
    }

    private let state = Mutex<(next: UInt64, running: Running?)>((0, nil))
    private let sharing = Atomic<Int>(0)

    /// How many callers are awaiting work another caller started (for tests that need to know a
    /// caller has joined before they go on).
    var callersSharing: Int { sharing.load(ordering: .acquiring) }

    /// Awaits the work under way if it reaches `needed`, else starts `work`, which will reach
    /// `reach()` (read, under a lock, when it starts: keep it trivial).
    func value(covering needed: UInt64 = 0, reach: () -> UInt64 = { 0 },
               _ work: @escaping @Sendable () throws -> Value) async throws -> Value {
        let (task, shared) = state.withLock { state -> (Task<Value, any Error>, Bool) in
            if let running = state.running, running.reaches >= needed {
                sharing.add(1, ordering: .releasing)
                return (running.task, true)
            }
            let id = state.next
            state.next += 1
            let started = Task { [self] in
                // Cleared by the work itself, and only if no later work has replaced it since.
                defer { self.state.withLock { if $0.running?.id == id { $0.running = nil } } }
                return try await offloaded(work)
            }
            state.running = Running(id: id, reaches: reach(), task: started)
            return (started, false)
        }
        defer { if shared { sharing.subtract(1, ordering: .releasing) } }
        return try await task.value
    }
}
