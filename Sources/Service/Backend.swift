import Access
import Dispatch
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
    /// The last rankings computed (internal: tests read how long they took).
    let rankingCache = RankingSlot<Rankings>()
    private let closed = Atomic<Bool>(false)
    /// One computation of the rankings under `cached` at a time (internal: tests hold it to stand for a slow one).
    let rankingLock = Mutex<Void>(())
    /// The first computation of the rankings, which waiting requests share (`liveRankings`).
    private let firstRanking = SharedWork<Rankings>()
    /// Requests that have waited for the first computation of the rankings (tests watch it).
    let rankingWaits = Atomic<Int>(0)
    /// The catch-up that requests needing the models to see a write share (`awaitModelsSeeWrites`).
    private let sharedCatchUp = SharedWork<Void>()

    /// Segments and churn assessments of every customer: both rank customers against all the
    /// others, so they are computed together, from one read of the customer summaries.
    struct Rankings: Sendable {
        var segments: [String: SegmentAssignment]
        var churn: [String: ChurnAssessment]
    }

    struct RankingCache<Value: Sendable>: Sendable {
        var value: Value
        var head: UInt64
        /// `lastModelWrite` when it was computed.
        var modelWrite: UInt64 = 0
        var computedAt: ContinuousClock.Instant
        /// How long the computation took.
        var took: Duration = .zero
    }

    /// How long the background waits before recomputing rankings: the TTL, or twenty times what
    /// the last computation took when that is longer, so that recomputing takes at most a
    /// twentieth of the time; never more than ten minutes (a computation slowed by a wait, say
    /// for a rebuild's lock, must not hold the next one off for long). At a million customers a
    /// computation takes ~4 s (two threads, ~6 s of CPU): every 30 s under a steady trickle of
    /// writes would be a fifth of one core; this makes it every ~85 s.
    static func refreshInterval(ttl: Duration, lastTook: Duration) -> Duration {
        max(ttl, min(lastTook * 20, .seconds(600)))
    }

    /// One cached ranking.
    final class RankingSlot<Value: Sendable>: Sendable {
        let state = Mutex<RankingCache<Value>?>(nil)
        var current: RankingCache<Value>? { state.withLock { $0 } }
        func set(_ value: RankingCache<Value>) { state.withLock { $0 = value } }
    }

    /// Opens the ledger at `settings.databasePath` with its read models and tokens.
    /// - Throws: the ledger's, key store's or configuration's error, with what to fix.
    public init(settings: ServiceConfiguration) throws {
        self.settings = settings
        let path = ClienteleConfiguration.file(for: settings.databasePath, explicit: settings.configurationFile)
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
        // Every stored model in one pass over the new events: the 360 view reads the loyalty
        // model as stored, so it must move with the others.
        try models.catchUp(ProjectionStore.storedModels(configuration))
    }

    /// Catches the models up, off the event loops, when a write made through this service is not
    /// folded yet: what a request handler calls. A catch-up can take seconds (after another
    /// process's ingest, or waiting for the models' write lock while `clientele rebuild` holds
    /// it), and a handler that waited on its event loop would stall every connection of that loop.
    /// The requests that arrive while a catch-up is under way share it (when it folds far
    /// enough for them), so they hold no thread while they wait.
    func awaitModelsSeeWrites() async throws {
        let wanted = lastModelWrite.load(ordering: .acquiring)
        guard try modelsBehind(wanted) else { return }
        // A catch-up folds every write noted before it starts (and more: up to the head).
        try await sharedCatchUp.value(covering: wanted, reach: { lastModelWrite.load(ordering: .acquiring) }) { [self] in
            try ensureModelsSeeWrites()
        }
    }

    /// Catches the models up when a write made through this service is not folded yet, on the
    /// calling thread: for work already off the event loops.
    func ensureModelsSeeWrites() throws {
        if try modelsBehind(lastModelWrite.load(ordering: .acquiring)) { try catchUpModels() }
    }

    /// Has some stored model not folded up to `wanted` (a sequence appended through this service; 0: nothing to see)?
    private func modelsBehind(_ wanted: UInt64) throws -> Bool {
        guard wanted > 0 else { return false }
        for model in ProjectionStore.storedModels(configuration) where (try models.checkpointSequence(model) ?? 0) < wanted { return true }
        return false
    }

    /// Events this service's writer had committed at the last background round (`fileAccessRecordsWhenQuiet`).
    private let committedAtLastRound = Atomic<Int>(0)

    /// Files access records in by_observed while the service is quiet: fewer than
    /// `quietEvents` events committed since the last background round. Each batch holds the
    /// ledger's write lock (~10 ms at a million customers), so a busy service files nothing and
    /// its appends never wait behind it; a quiet spell (a night) catches up, so the next audit of
    /// a customer need not. Returns how many it filed.
    @discardableResult
    func fileAccessRecordsWhenQuiet(quietEvents: Int = 100, batches: Int = 20) throws -> Int {
        let committed = ledger.ledger.groupCommitCounters.events
        let before = committedAtLastRound.exchange(committed, ordering: .relaxed)
        guard committed - before < quietEvents else { return 0 }
        return try ledger.ledger.indexObservations(batches: batches)
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
        var out: [(String, CustomerSummary)] = []
        out.reserveCapacity(try models.storedCount(CustomerSummaryProjector()))
        try visitSummaries { k, r in out.append((k, r)) }
        return out
    }

    /// Visits the live summaries in key order (models caught up to this service's writes first)
    /// without gathering them: for a pass that keeps only a page of them. Merged records are
    /// joined to the record they were merged into (`ProjectionStore.visitCustomerSummaries`).
    func visitSummaries(_ body: (String, CustomerSummary) throws -> Void) throws {
        try ensureModelsSeeWrites()
        if try models.checkpointSequence(CustomerSummaryProjector()) == nil { try models.catchUp(CustomerSummaryProjector()) }
        try models.visitCustomerSummaries(body)
    }

    /// May the store contact `customer` for marketing on `channel` now? Decided from the consent
    /// events the customer summary points at (the model caught up to the head first), so a
    /// customer whose stream is long with access records costs no more than any other.
    /// The catch-up runs off the event loops (see `awaitModelsSeeWrites`).
    func mayContact(_ customer: String, on channel: ContactChannel) async throws -> ConsentDecision {
        try await offloaded { [self] in
            // A record merged with others is one person: their consents are decided together.
            let merges = try models.merges(asOf: nil)
            if merges.isMerged(customer) {
                return try merges.consents(of: customer, in: ledger).decide(.marketing, channel: channel)
            }
            try models.catchUp(CustomerSummaryProjector())
            guard let summary = try models.storedRecord(CustomerSummaryProjector(), key: customer) else {
                return try ledger.mayContact(customer, for: .marketing, on: channel)
            }
            return try ledger.consents(at: Array(summary.profileEvents)).decide(.marketing, channel: channel)
        }
    }

    /// Segments of every customer now. They are ranks over all customers (O(customers) to compute),
    /// so requests read the last computation and `refreshRankings` (the background catch-up)
    /// recomputes it once `refreshInterval` has passed and the log has moved; it is first
    /// computed at start, by the background round or by the first request, whichever comes
    /// first. A TTL of zero computes it whenever the log has moved. Blocks while a computation
    /// is under way: for work off the event loops (a handler calls `liveRankings()`).
    func segments() throws -> [String: SegmentAssignment] {
        try cached(rankingCache, computeRankings).segments
    }

    /// Churn assessments of every customer now, cached like `segments()`; empty when the model cannot be fitted yet.
    func churn() throws -> [String: ChurnAssessment] {
        try cached(rankingCache, computeRankings).churn
    }

    /// The rankings a request may use without waiting: the cached ones, with a TTL above zero.
    var readyRankings: Rankings? {
        settings.rankingTTL > .zero ? rankingCache.current?.value : nil
    }

    /// The rankings (segments and churn) now, for a request handler: from the cache when there
    /// is one (with a TTL above zero), else awaited off the event loops. The first computation
    /// takes seconds on a large ledger (4 s at a million customers); a handler that waited for it
    /// on its event loop would stall every connection of that loop, `/healthz` included. All
    /// the requests that arrive meanwhile share one task, so they hold no thread while they wait.
    func liveRankings() async throws -> Rankings {
        if let ready = readyRankings { return ready }
        if settings.rankingTTL == .zero {
            // Recomputed whenever the log moved (tests): never on the loop.
            return try await offloaded { [self] in try cached(rankingCache, computeRankings) }
        }
        rankingWaits.add(1, ordering: .relaxed)
        return try await firstRanking.value { [self] in try cached(rankingCache, computeRankings) }
    }

    /// Recomputes the cached rankings that are older than `refreshInterval` while the log has
    /// moved (background work: requests keep reading the previous value meanwhile).
    func refreshRankings() throws {
        try refresh(rankingCache, computeRankings)
    }

    private func refresh<V: Sendable>(_ slot: RankingSlot<V>, _ compute: () throws -> V) throws {
        let head = try head()
        let written = lastModelWrite.load(ordering: .acquiring)
        let started = ContinuousClock.now
        guard let c = slot.current else {
            // Never computed yet: compute it now, so that the first request does not wait for it
            // (requests arriving meanwhile wait on the same computation instead of repeating it).
            _ = try cached(slot, compute)
            return
        }
        guard c.head != head else { return }
        // Writes through this service that a model folds: recompute after the interval. Anything
        // else moving the head (access records, which change no ranking; another process's
        // ingest) is picked up only every ten intervals, so a busy 360 endpoint does not keep recomputing.
        let age = started - c.computedAt
        let interval = Self.refreshInterval(ttl: settings.rankingTTL, lastTook: c.took)
        guard (c.modelWrite != written && age >= interval) || age >= interval * 10 else { return }
        let value = try compute()
        slot.set(RankingCache(value: value, head: head, modelWrite: written, computedAt: started, took: ContinuousClock.now - started))
    }

    private func computeRankings() throws -> Rankings {
        let all = try summaries()
        let now = Timestamp.now()
        let configuration = self.configuration
        // Two independent passes over the same summaries: side by side on two threads (the first
        // ranking after a start is waited for).
        let segments = Mutex<[String: SegmentAssignment]>([:]), churn = Mutex<[String: ChurnAssessment]>([:])
        DispatchQueue.concurrentPerform(iterations: 2) { part in
            if part == 0 {
                let assigned = Segmentation.assign(all, now: now, rules: configuration.segments)
                segments.withLock { $0 = assigned }
            } else {
                let result = (try? ChurnModel.assess(all, now: now, configuration: configuration))?.assessments ?? []
                var byCustomer: [String: ChurnAssessment] = [:]
                byCustomer.reserveCapacity(result.count)
                for a in result { byCustomer[a.customer] = a }
                churn.withLock { $0 = byCustomer }
            }
        }
        return Rankings(segments: segments.withLock { $0 }, churn: churn.withLock { $0 })
    }

    private func cached<V: Sendable>(_ slot: RankingSlot<V>, _ compute: () throws -> V) throws -> V {
        if settings.rankingTTL > .zero, let c = slot.current { return c.value }
        let head = try head()
        if let c = slot.current, c.head == head { return c.value }
        // One computation at a time: concurrent first requests wait for it rather than repeat it.
        return try rankingLock.withLock { _ throws -> V in
            if let c = slot.current, c.head == head || settings.rankingTTL > .zero { return c.value }
            let started = ContinuousClock.now
            let written = lastModelWrite.load(ordering: .acquiring)
            let value = try compute()
            slot.set(RankingCache(value: value, head: head, modelWrite: written, computedAt: started, took: ContinuousClock.now - started))
            return value
        }
    }
}
