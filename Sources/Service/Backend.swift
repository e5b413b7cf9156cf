import Access
import CustomerEvents
import Ledger
import LedgerJSON
import Logging
import Projections
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// Everything the routes read and write: the ledger (through group commit), the read models,
/// the token store, the configuration, the metrics, and the ranking caches.
public final class ClienteleBackend: Sendable {
    /// The ledger, with the catalog's checks and sealing.
    public let ledger: CustomerLedger
    /// The read models.
    public let models: ProjectionStore
    /// Bearer tokens.
    public let tokens: TokenStore
    /// Tiers, segments, SLA targets, churn bands.
    public let configuration: ClienteleConfiguration
    /// The service's limits.
    public let settings: ServiceConfiguration
    /// Prometheus metrics.
    public let metrics = ServiceMetrics()
    /// The highest sequence appended through this service that a read model folds (not access
    /// records): reads catch up to it first, so a client reads its own writes.
    let lastModelWrite = Atomic<UInt64>(0)
    private let segmentCache = Mutex<RankingCache<[String: SegmentAssignment]>?>(nil)
    private let churnCache = Mutex<RankingCache<[String: ChurnAssessment]>?>(nil)
    private let closed = Atomic<Bool>(false)

    struct RankingCache<Value: Sendable>: Sendable {
        var value: Value
        var head: UInt64
        var computedAt: ContinuousClock.Instant
    }

    /// Opens the ledger at `settings.databasePath` with its read models and tokens.
    /// - Throws: the ledger's, key store's or configuration's error, with what to fix.
    public init(settings: ServiceConfiguration) throws {
        self.settings = settings
        var path = settings.configurationFile
        if path == nil, access(settings.databasePath + "/config.json", F_OK) == 0 { path = settings.databasePath + "/config.json" }
        configuration = try path.map { try ClienteleConfiguration.load(path: $0) } ?? ClienteleConfiguration()
        let ledger = try CustomerLedger.open(path: settings.databasePath, masterKeyFile: settings.masterKeyFile)
        do {
            models = try ProjectionStore(ledger: ledger)
            tokens = try TokenStore(ledgerPath: settings.databasePath)
        } catch {
            ledger.close()
            throw error
        }
        self.ledger = ledger
    }

    /// Flushes pending appends (the group-commit writer commits what it holds) and closes everything.
    public func close() {
        guard !closed.exchange(true, ordering: .acquiringAndReleasing) else { return }
        models.close()
        ledger.close()
    }

    /// The sequence number of the last event in the log.
    func head() throws -> UInt64 { try ledger.ledger.head().sequence }

    /// Brings the read models up to the head; the background catch-up and reads that must see a write call it.
    func catchUpModels() throws {
        try models.catchUp(CustomerSummaryProjector())
        try models.catchUp(ComplaintStatusProjector())
        try models.catchUp(DailySummaryProjector())
    }

    /// Catches the models up when a write made through this service is not folded yet.
    func ensureModelsSeeWrites() throws {
        let wanted = lastModelWrite.load(ordering: .acquiring)
        guard wanted > 0 else { return }
        if let at = try models.checkpointSequence(CustomerSummaryProjector()), at >= wanted,
           let c = try models.checkpointSequence(ComplaintStatusProjector()), c >= wanted,
           let d = try models.checkpointSequence(DailySummaryProjector()), d >= wanted { return }
        try catchUpModels()
    }

    /// Notes appends that a read model folds, so that the next read sees them.
    func noteModelWrite(_ sequence: UInt64) {
        var current = lastModelWrite.load(ordering: .relaxed)
        while current < sequence {
            let (exchanged, now) = lastModelWrite.compareExchange(expected: current, desired: sequence, ordering: .acquiringAndReleasing)
            if exchanged { return }
            current = now
        }
    }

    /// The live summaries (models caught up to this service's writes first).
    func summaries() throws -> [(String, CustomerSummary)] {
        try ensureModelsSeeWrites()
        var out: [(String, CustomerSummary)] = []
        try models.storedRecords(CustomerSummaryProjector()) { k, r in out.append((k, r)); return true }
        if out.isEmpty, try models.checkpointSequence(CustomerSummaryProjector()) == nil {
            try models.catchUp(CustomerSummaryProjector())
            try models.storedRecords(CustomerSummaryProjector()) { k, r in out.append((k, r)); return true }
        }
        return out
    }

    /// Segments of every customer now; reused for `settings.rankingTTL` (they are ranks over
    /// all customers: recomputing them per request would cost O(customers)).
    func segments() throws -> [String: SegmentAssignment] {
        try cached(segmentCache) { () throws -> [String: SegmentAssignment] in
            Segmentation.assign(try summaries(), now: Timestamp.now(), rules: configuration.segments)
        }
    }

    /// Churn assessments of every customer now, reused like `segments()`; empty when the model cannot be fitted yet.
    func churn() throws -> [String: ChurnAssessment] {
        try cached(churnCache) { () throws -> [String: ChurnAssessment] in
            let result = (try? ChurnModel.assess(try summaries(), now: Timestamp.now(), configuration: configuration))?.assessments ?? []
            var byCustomer: [String: ChurnAssessment] = [:]
            for a in result { byCustomer[a.customer] = a }
            return byCustomer
        }
    }

    private func cached<V: Sendable>(_ cache: borrowing Mutex<RankingCache<V>?>, _ compute: () throws -> V) throws -> V {
        let head = try head()
        let now = ContinuousClock.now
        if let c = cache.withLock({ $0 }), c.head == head || now - c.computedAt < settings.rankingTTL { return c.value }
        let value = try compute()
        cache.withLock { $0 = RankingCache(value: value, head: head, computedAt: now) }
        return value
    }
}
