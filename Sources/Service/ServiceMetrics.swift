import Prometheus
import Synchronization

/// The service's Prometheus metrics, in a registry of its own (no global bootstrap, so that
/// several servers in one test process keep their counts apart).
public final class ServiceMetrics: Sendable {
    /// The registry `GET /metrics` renders.
    public let registry = PrometheusCollectorRegistry()
    private let latencyBuckets: [Duration] = [.microseconds(250), .microseconds(500), .milliseconds(1), .milliseconds(2), .milliseconds(5),
                                              .milliseconds(10), .milliseconds(20), .milliseconds(50), .milliseconds(100), .milliseconds(500), .seconds(2)]
    let appendedEvents: Counter
    let duplicateEvents: Counter
    let rejectedEvents: Counter
    let personalDataAccesses: Counter
    let groupCommitTransactions: Gauge
    let groupCommitEvents: Gauge
    let groupCommitMeanBatch: Gauge
    let projectionLag: Gauge
    let ledgerHead: Gauge
    private let perRoute = Mutex<[String: (Counter, DurationHistogram)]>([:])

    /// Makes the metrics.
    public init() {
        appendedEvents = registry.makeCounter(name: "clientele_events_appended_total", help: "Events appended through the service")
        duplicateEvents = registry.makeCounter(name: "clientele_events_duplicate_total", help: "Appends answered from an earlier identical append (idempotent retries)")
        rejectedEvents = registry.makeCounter(name: "clientele_events_rejected_total", help: "Events refused (schema, conflict, consent)")
        personalDataAccesses = registry.makeCounter(name: "clientele_personal_data_accesses_total", help: "PersonalDataAccessed events recorded for responses")
        groupCommitTransactions = registry.makeGauge(name: "clientele_group_commit_transactions", help: "Write transactions committed by the group-commit writer since start")
        groupCommitEvents = registry.makeGauge(name: "clientele_group_commit_events", help: "Events committed by the group-commit writer since start")
        groupCommitMeanBatch = registry.makeGauge(name: "clientele_group_commit_mean_batch_size", help: "Events per group-commit transaction since start")
        projectionLag = registry.makeGauge(name: "clientele_projection_lag_events", help: "Events in the log not yet folded into the customer-summary model")
        ledgerHead = registry.makeGauge(name: "clientele_ledger_head_sequence", help: "The sequence number of the last event in the log")
    }

    /// Counts one request and its latency under its route pattern (never the raw path: bounded labels).
    func record(method: String, route: String, status: Int, duration: Duration) {
        let key = method + " " + route + " " + String(status)
        let (counter, histogram) = perRoute.withLock { table -> (Counter, DurationHistogram) in
            if let found = table[key] { return found }
            let labels = [("method", method), ("route", route), ("status", String(status))]
            let made = (registry.makeCounter(name: "http_requests_total", labels: labels, help: "HTTP requests by route and status"),
                        registry.makeDurationHistogram(name: "http_request_duration_seconds", labels: labels, buckets: latencyBuckets,
                                                       help: "HTTP request latency by route and status"))
            table[key] = made
            return made
        }
        counter.increment()
        histogram.record(duration)
    }
}
