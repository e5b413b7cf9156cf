import Dispatch
import Foundation
@testable import Service
import Testing

/// Holds the backend's ranking lock on a thread of its own, standing for a first segmentation
/// that takes a long time (11 s at a million customers), until released (or 10 s have passed).
private final class SlowRankings: @unchecked Sendable {
    // @unchecked Sendable: only semaphores, which are thread-safe.
    private let held = DispatchSemaphore(value: 0)
    private let released = DispatchSemaphore(value: 0)

    func hold(_ backend: ClienteleBackend) {
        Thread { [held, released] in
            backend.rankingLock.withLock { _ in
                held.signal()
                _ = released.wait(timeout: .now() + 10)
            }
        }.start()
        held.wait()
    }

    func release() { released.signal() }
}

@Suite("The service while its rankings are first computed")
struct RankingStartupTests {
    @Test("360 reads wait for the first segmentation without holding a thread: /healthz answers meanwhile")
    func healthWhileRankingsCompute() async throws {
        let slow = SlowRankings()
        try await ServerFixture.withServer(rankingTTL: .seconds(30), beforeStart: { slow.hold($0.backend) }) { c in
            #expect(try await c.post("/v1/customers", as: "clerk", registerBody).status == .created)
            // More waiting reads than the executor has threads: had they blocked their threads,
            // nothing else could be served.
            let readers = ProcessInfo.processInfo.activeProcessorCount + 2
            try await withThrowingTaskGroup(of: Reply.self) { group in
                for _ in 0..<readers { group.addTask { try await c.get("/v1/customers/C-1", as: "clerk") } }
                try await Task.sleep(for: .milliseconds(300))
                let started = ContinuousClock.now
                let health = try await c.get("/healthz")
                let took = ContinuousClock.now - started
                #expect(health.status == .ok)
                #expect(took < .seconds(3), "/healthz took \(took) while the rankings were being computed")
                slow.release()
                var answered = 0
                for try await view in group {
                    #expect(view.status == .ok, "\(view.text)")
                    #expect(view.json["segment"] != nil)
                    answered += 1
                }
                #expect(answered == readers)
            }
        }
    }
}
