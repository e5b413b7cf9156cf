import Dispatch
import Foundation
@testable import Service
import Synchronization
import Testing

/// Holds the backend's ranking lock on a thread of its own, standing for a first segmentation
/// that takes a long time (4 s at a million customers), until released; after two minutes it
/// lets go by itself (so a failing test cannot hang the suite) and says so.
private final class SlowRankings: @unchecked Sendable {
    // @unchecked Sendable: semaphores and an atomic, which are thread-safe.
    private let held = DispatchSemaphore(value: 0)
    private let released = DispatchSemaphore(value: 0)
    private let gaveUp = Atomic<Bool>(false)
    private let done = Atomic<Bool>(false)

    func hold(_ backend: ClienteleBackend) {
        Thread { [self] in
            backend.rankingLock.withLock { _ in
                held.signal()
                if released.wait(timeout: .now() + 120) == .timedOut { gaveUp.store(true, ordering: .relaxed) }
            }
        }.start()
        held.wait()
    }

    /// Lets go (once); false when it had let go by itself already.
    @discardableResult
    func release() -> Bool {
        if !done.exchange(true, ordering: .relaxed) { released.signal() }
        return !gaveUp.load(ordering: .relaxed)
    }
}

/// A test on a running server: polls `condition` every 10 ms for up to `seconds`.
private func eventually(_ seconds: Double, _ condition: () -> Bool) async throws -> Bool {
    let deadline = ContinuousClock.now + .milliseconds(Int(seconds * 1000))
    while ContinuousClock.now < deadline {
        if condition() { return true }
        try await Task.sleep(for: .milliseconds(10))
    }
    return condition()
}

@Suite("The service's rankings (segments and churn) as requests see them")
struct RankingStartupTests {
    @Test("360 reads wait for the first segmentation without holding a thread: /healthz and a 404 answer meanwhile")
    func healthWhileRankingsCompute() async throws {
        let slow = SlowRankings()
        try await ServerFixture.withServer(rankingTTL: .seconds(30), beforeStart: { slow.hold($0.backend) }) { c in
            defer { slow.release() }
            #expect(try await c.post("/v1/customers", as: "clerk", registerBody).status == .created)
            // More waiting reads than the executor has threads: had they blocked their threads,
            // nothing else could be served.
            let readers = ProcessInfo.processInfo.activeProcessorCount + 2
            let backend = c.fixture.backend
            try await withThrowingTaskGroup(of: Reply.self) { group in
                for _ in 0..<readers { group.addTask { try await c.get("/v1/customers/C-1", as: "clerk") } }
                #expect(try await eventually(60) { backend.rankingWaits.load(ordering: .relaxed) >= readers },
                        "the readers did not all come to wait for the rankings")
                let started = ContinuousClock.now
                let health = try await c.get("/healthz")
                let took = ContinuousClock.now - started
                #expect(health.status == .ok)
                // Held behind the rankings, it would answer only when the lock lets go by itself
                // (120 s); 30 s tells that apart from a loaded machine (3.5 s seen on 2 cores with
                // the whole suite running).
                #expect(took < .seconds(30), "/healthz took \(took) while the rankings were being computed")
                // A customer who does not exist needs no ranking to say so.
                #expect(try await c.get("/v1/customers/C-404", as: "manager").status == .notFound)
                #expect(slow.release(), "the ranking lock was let go before the test released it")
                var answered = 0
                for try await view in group {
                    #expect(view.status == .ok, "\(view.text)")
                    #expect(view.json["segment"] == .string("potential"), "\(view.text)")
                    answered += 1
                }
                #expect(answered == readers)
            }
        }
    }

    @Test("a new customer is potential at once, and VIP right after the purchase that makes them one")
    func segmentFollowsTheSummary() async throws {
        try await ServerFixture.withServer(rankingTTL: .seconds(30)) { c in
            // The rankings, computed at start (this request waits for them), before this customer exists, and kept 30 s.
            _ = try await c.get("/v1/reports/segments", as: "manager")
            #expect((c.fixture.backend.rankingCache.current?.took ?? .zero) > .zero, "how long the ranking took is what spaces the next")
            let metrics = try await c.get("/metrics")
            let took = metrics.text.split(separator: "\n").first { $0.hasPrefix("clientele_rankings_computation_seconds ") }
            #expect(took.flatMap { Double($0.split(separator: " ")[1]) }.map { $0 > 0 } == true, "\(metrics.text)")
            #expect(metrics.text.contains("clientele_rankings_age_seconds "))
            #expect(try await c.post("/v1/customers", as: "clerk", registerBody).status == .created)
            let before = try await c.get("/v1/customers/C-1", as: "manager")
            #expect(before.json["segment"] == .string("potential"), "\(before.text)")
            let purchase = eventJSON(type: "PurchaseRecorded", customer: "C-1", payload: """
                {"receipt":"R-1","lines":[{"sku":"WATCH-1","name":"Watch","category":"accessories","quantity":1,\
                "unitPrice":{"minor":1200000,"currency":"CNY"},"discount":{"minor":0,"currency":"CNY"}}],\
                "total":{"minor":1200000,"currency":"CNY"},"payment":"card","cashier":"staff-li"}
                """)
            #expect(try await c.post("/v1/events", as: "manager", purchase).status == .created)
            let after = try await c.get("/v1/customers/C-1", as: "manager")
            #expect(after.json["summary"]?["netSpend"] == .number("1200000"), "\(after.text)")
            #expect(after.json["segment"] == .string("VIP"), "\(after.text)")
            // Search by segment sees the same kind, before the next ranking.
            let vips = try await c.get("/v1/customers?segment=VIP", as: "manager")
            guard case .array(let found)? = vips.json["customers"] else { Issue.record("no customers in \(vips.text)"); return }
            #expect(found.compactMap { $0["customer"]?.stringValue } == ["C-1"], "\(vips.text)")
            // And so does the segments report.
            let report = try await c.get("/v1/reports/segments", as: "manager")
            #expect(report.json["customers"] == .number("1"), "\(report.text)")
            guard case .array(let kinds)? = report.json["segments"] else { Issue.record("no segments in \(report.text)"); return }
            #expect(kinds.first { $0["segment"] == .string("VIP") }?["customers"] == .number("1"), "\(report.text)")
        }
    }

    @Test("the background recomputes the rankings after the TTL, or after twenty times the last computation when that is longer")
    func refreshInterval() {
        #expect(ClienteleBackend.refreshInterval(ttl: .seconds(30), lastTook: .milliseconds(200)) == .seconds(30))
        #expect(ClienteleBackend.refreshInterval(ttl: .seconds(30), lastTook: .seconds(4)) == .seconds(80))
        #expect(ClienteleBackend.refreshInterval(ttl: .zero, lastTook: .zero) == .zero)
        #expect(ClienteleBackend.refreshInterval(ttl: .seconds(30), lastTook: .seconds(90)) == .seconds(600), "ten minutes at most")
    }
}
