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
    let rankingSeconds: Gauge
    let rankingAge: Gauge
    private let perRoute = Mutex<[String: (Counter, DurationHistogram)]>([:])

    /// Makes the metrics.
    public init() {
        appendedEvents = registry.makeCounter(descriptor: Self.name("clientele_events_appended", unit: "total", help: "Events appended through the service"))
        duplicateEvents = registry.makeCounter(descriptor: Self.name("clientele_events_duplicate", unit: "total", help: "Appends answered from an earlier identical append (idempotent retries)"))
        rejectedEvents = registry.makeCounter(descriptor: Self.name("clientele_events_rejected", unit: "total", help: "Events refused (schema, conflict, consent)"))
        personalDataAccesses = registry.makeCounter(descriptor: Self.name("clientele_personal_data_accesses", unit: "total", help: "PersonalDataAccessed events recorded for responses"))
        groupCommitTransactions = registry.makeGauge(descriptor: Self.name("clientele_group_commit_transactions", unit: "", help: "Write transactions committed by the group-commit writer since start"))
        groupCommitEvents = registry.makeGauge(descriptor: Self.name("clientele_group_commit_events", unit: "", help: "Events committed by the group-commit writer since start"))
        groupCommitMeanBatch = registry.makeGauge(descriptor: Self.name("clientele_group_commit_mean_batch_size", unit: "", help: "Events per group-commit transaction since start"))
        projectionLag = registry.makeGauge(descriptor: Self.name("clientele_projection_lag_events", unit: "", help: "Events in the log not yet folded into the customer-summary model"))
        ledgerHead = registry.makeGauge(descriptor: Self.name("clientele_ledger_head_sequence", unit: "", help: "The sequence number of the last event in the log"))
        rankingSeconds = registry.makeGauge(descriptor: Self.name("clientele_rankings_computation", unit: "seconds",
                                                                  help: "How long the last ranking of all customers (segments and churn) took; the next waits twenty times that, at least the TTL"))
        rankingAge = registry.makeGauge(descriptor: Self.name("clientele_rankings_age", unit: "seconds",
                                                              help: "How old the segments and churn risks requests see are (0 before the first ranking)"))
    }

    /// A metric's name: `base` and `unit` joined by an underscore (no unit: `base` alone).
    private static func name(_ base: String, unit: String, help: String) -> MetricNameDescriptor {
        MetricNameDescriptor(metricName: base, unitName: unit, helpText: help)
    }

    /// Counts one request and its latency under its route pattern (never the raw path: bounded labels).
    func record(method: String, route: String, status: Int, duration: Duration) {
        let key = method + " " + route + " " + String(status)
        let (counter, histogram) = perRoute.withLock { table -> (Counter, DurationHistogram) in
            if let found = table[key] { return found }
            let labels = [("method", method), ("route", route), ("status", String(status))]
            let made = (registry.makeCounter(descriptor: Self.name("http_requests", unit: "total", help: "HTTP requests by route and status"), labels: labels),
                        registry.makeDurationHistogram(descriptor: Self.name("http_request_duration", unit: "seconds", help: "HTTP request latency by route and status"),
                                                       labels: labels, buckets: latencyBuckets))
            table[key] = made
            return made
        }
        counter.increment()
        histogram.record(duration)
    }
}
