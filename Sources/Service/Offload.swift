import Dispatch

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
