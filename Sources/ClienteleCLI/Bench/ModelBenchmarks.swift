import CustomerBase
import CustomerEvents
import Ledger
import LedgerJSON
import Projections
import SyntheticChain
#if canImport(Glibc)
import Glibc
#endif

/// The read models' measurements, on a ledger filled from the synthetic chain.
struct ModelBenchmarks {
    let ledgers: LedgerBenchmarks

    /// A ledger with a generated chain of `customers` customers over a year.
    func chainLedger(customers: Int) throws -> (Ledger, CustomerLedger, ProjectionStore, Int) {
        let log = try ledgers.freshLedger("models", durable: false)
        return try ledgers.disposing(log) {
            let keys = try KeyStore(ledgerPath: log.path, masterKey: .generate())
            do {
                let ledger = CustomerLedger(ledger: log, keys: keys)
                var p = ChainParameters()
                p.customers = customers
                p.days = 365
                p.seed = 5
                var batch: [JSONValue] = []
                var count = 0
                var failure: Error?
                ChainGenerator(p).run { doc in
                    batch.append(doc)
                    if batch.count == 50_000 {
                        for r in ledger.appendAndWait(batch) { if case .failure(let e) = r { failure = e } }
                        count += batch.count
                        batch.removeAll(keepingCapacity: true)
                    }
                }
                for r in ledger.appendAndWait(batch) { if case .failure(let e) = r { failure = e } }
                count += batch.count
                if let failure { throw failure }
                try log.storage.sync()
                return (log, ledger, try ProjectionStore(ledger: ledger), count)
            } catch {
                keys.close()
                throw error
            }
        }
    }

    static func peakMemoryMB() -> Double {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        return Double(usage.ru_maxrss) / 1024
    }

    /// Every read model rebuilt from the whole log.
    func rebuild(_ store: ProjectionStore, events: Int) throws -> Measurement {
        let start = Clock.seconds()
        let phases = try store.rebuildReporting(ProjectionStore.storedModels()).phases
        let seconds = Clock.seconds() - start
        var m = Measurement(name: "rebuild", events: events, batch: 0, seconds: seconds,
                            detail: "4 models on \(ProjectionStore.rebuildThreads) fold threads, peak RSS \(Format.fixed(ModelBenchmarks.peakMemoryMB(), 0)) MB; "
                                + phases.described)
        m.extra = [("fold_seconds", Format.fixed(phases.fold, 3)), ("sort_seconds", Format.fixed(phases.sort, 3)),
                   ("write_seconds", Format.fixed(phases.write, 3)), ("sync_seconds", Format.fixed(phases.sync, 3))]
        return m
    }

    /// Catching every model up after `count` new events.
    func catchUp(_ ledger: CustomerLedger, _ store: ProjectionStore, count: Int) throws -> Measurement {
        try store.catchUp(ProjectionStore.storedModels())
        var docs: [JSONValue] = []
        let base = Int(Clock.seconds() * 1000)
        for i in 0..<count {
            docs.append(.object([("type", .string("VisitRecorded")), ("customer", .string("C000\(1000 + i % 900)")), ("store", .string("ST-01")),
                                 ("actor", .string("bench")), ("channel", .string("counter")), ("occurredAt", .string("2025-12-31T12:00:00+08:00")),
                                 ("source", .string("bench-catchup")), ("externalId", .string("\(base)-\(i)")),
                                 ("payload", .object([("kind", .string("walk-in"))]))]))
        }
        for r in ledger.appendAndWait(docs) { _ = try r.get() }
        let start = Clock.seconds()
        try store.catchUp(ProjectionStore.storedModels())
        return Measurement(name: "catchup", events: count, batch: 0, seconds: Clock.seconds() - start, detail: "4 models")
    }

    /// One customer's 360 record on demand (catch-up check + record read), many customers: p50 and p99.
    func customer360(_ store: ProjectionStore, customers: Int, samples: Int) throws -> Measurement {
        try store.catchUp(CustomerSummaryProjector())
        var times: [Double] = []
        times.reserveCapacity(samples)
        var rng = UInt64(12345)
        for _ in 0..<samples {
            rng = rng &* 6364136223846793005 &+ 1442695040888963407
            let c = Int(rng >> 33) % customers
            let id = "C" + String(repeating: "0", count: max(0, 7 - String(c + 1).count)) + String(c + 1)
            let t0 = Clock.seconds()
            _ = try store.record(CustomerSummaryProjector(), key: id)
            times.append(Clock.seconds() - t0)
        }
        times.sort()
        let p50 = times[times.count / 2], p99 = times[min(times.count - 1, times.count * 99 / 100)]
        return Measurement(name: "customer360", events: samples, batch: 0, seconds: times.reduce(0, +),
                           detail: "p50 \(Format.fixed(p50 * 1e6, 0)) µs, p99 \(Format.fixed(p99 * 1e6, 0)) µs")
    }

    /// BG/NBD fitted over `customers` simulated customers (BG/NBD's own story, in days).
    func bgnbdFit(customers: Int) throws -> Measurement {
        var rng = UInt64(99)
        func unit() -> Double { rng = rng &* 6364136223846793005 &+ 1442695040888963407; return Double(rng >> 11) * 0x1.0p-53 }
        var histories: [CustomerHistory] = []
        histories.reserveCapacity(customers)
        for _ in 0..<customers {
            let T = Double(Int(unit() * 730))
            let rate = -log(1 - unit()) * 0.03
            let p = unit() * 0.4
            var t = 0.0, last = 0.0, x = 0
            var alive = true
            var days: Set<Int> = [0] // the first purchase day; a repeat on it does not count
            while alive {
                t += -log(1 - unit()) / max(rate, 1e-6)
                if t > T { break }
                if days.insert(Int(t)).inserted { x += 1; last = Double(Int(t)) }
                alive = unit() > p
            }
            histories.append(try CustomerHistory(frequency: x, recency: x > 0 ? last : 0, age: T))
        }
        let start = Clock.seconds()
        let fit = try BGNBDFitter().fit(histories)
        let seconds = Clock.seconds() - start
        let p = fit.parameters
        return Measurement(name: "bgnbd-fit", events: customers, batch: 0, seconds: seconds,
                           detail: "r \(Format.fixed(p.r, 3)) α \(Format.fixed(p.alpha, 2)) a \(Format.fixed(p.a, 3)) b \(Format.fixed(p.b, 3)); \(fit.distinctHistoryCount) distinct histories")
    }
}
