import Backup
import Ledger
#if canImport(Glibc)
import Glibc
#endif

/// One measurement: what was done, to how many events, how long it took.
struct Measurement {
    var name: String
    var events: Int
    var batch: Int
    var seconds: Double
    var detail: String = ""
    /// More numbers for `--json`: a key and its value as JSON number text.
    var extra: [(String, String)] = []
    var eventsPerSecond: Double { seconds > 0 ? Double(events) / seconds : 0 }
}

/// The ledger's measurements, each on a fresh ledger in its own temporary folder.
struct LedgerBenchmarks {
    /// Where the temporary ledgers go (on the disk being measured).
    let folder: String
    let payloadBytes: Int
    /// Keep the ledgers instead of deleting them.
    let keep: Bool

    /// A fresh ledger in a new folder under `folder` (removed again when the ledger cannot be opened).
    func freshLedger(_ label: String, durable: Bool = true) throws -> Ledger {
        let path = try temporaryFolder(in: folder, label: label)
        var options = LedgerOptions()
        options.create = true
        options.environment.durable = durable
        do { return try Ledger(path: path, options: options) } catch {
            if !keep { Files.removeTree(path) }
            throw error
        }
    }

    /// Closes `ledger` and removes its whole folder: the log and whatever was made beside it
    /// (`keys/`, `models/`, `access/`). Close the key and projection stores opened on it first.
    func dispose(_ ledger: Ledger) {
        ledger.close()
        if !keep { Files.removeTree(ledger.path) }
    }

    /// Runs `body`, disposing of `ledger` when it throws: for the functions that fill a fresh
    /// ledger and hand it on, so that a failure half-way leaves no folder behind.
    func disposing<T>(_ ledger: Ledger, _ body: () throws -> T) throws -> T {
        do { return try body() } catch {
            dispose(ledger)
            throw error
        }
    }

    /// Durable appends in transactions of `batch` events, from one caller.
    func appendBatched(events: Int, batch: Int) throws -> Measurement {
        let ledger = try freshLedger("append")
        defer { dispose(ledger) }
        var workload = BenchWorkload(payloadBytes: payloadBytes)
        // Make the events first: the measurement is the ledger, not the generator.
        var batches: [[NewEvent]] = []
        var left = events
        while left > 0 {
            let n = min(batch, left)
            batches.append(workload.events(n))
            left -= n
        }
        let start = Clock.seconds()
        for b in batches {
            for r in ledger.appendAndWait(b) { if case .failure(let e) = r { throw e } }
        }
        return Measurement(name: "append-batch", events: events, batch: batch, seconds: Clock.seconds() - start)
    }

    /// Single-event durable appends from `writers` concurrent tasks through group commit.
    func appendConcurrent(events: Int, writers: Int) async throws -> Measurement {
        let ledger = try freshLedger("concurrent")
        defer { dispose(ledger) }
        var workload = BenchWorkload(payloadBytes: payloadBytes)
        let all = workload.events(events)
        let perWriter = (events + writers - 1) / writers
        let start = Clock.seconds()
        let failures = await withTaskGroup(of: Int.self) { group in
            for w in 0..<writers {
                let slice = Array(all[min(all.count, w * perWriter)..<min(all.count, (w + 1) * perWriter)])
                group.addTask {
                    var failed = 0
                    for event in slice {
                        do { _ = try await ledger.append(event) } catch { failed += 1 }
                    }
                    return failed
                }
            }
            return await group.reduce(0, +)
        }
        let seconds = Clock.seconds() - start
        guard failures == 0 else { throw LedgerError.io(path: ledger.path, reason: "\(failures) appends failed") }
        let transactions = ledger.groupCommitCounters.transactions
        return Measurement(name: "append-concurrent", events: events, batch: 1, seconds: seconds,
                           detail: "\(writers) writers, \(transactions) transactions, \(Format.fixed(Double(events) / Double(max(1, transactions)), 1)) events per commit")
    }

    /// Fills a ledger quickly (not durable per commit; synced at the end) for the read measurements.
    func filledLedger(events: Int) throws -> Ledger {
        let ledger = try freshLedger("read", durable: false)
        return try disposing(ledger) {
            var workload = BenchWorkload(payloadBytes: payloadBytes)
            var left = events
            while left > 0 {
                let n = min(100_000, left)
                for r in ledger.appendAndWait(workload.events(n)) { if case .failure(let e) = r { throw e } }
                left -= n
            }
            try ledger.storage.sync()
            return ledger
        }
    }

    /// A full scan decoding every event in place: the envelope checked, every fixed field read,
    /// every variable field located and its first byte read. This is how folds read the log.
    func scanDecode(_ ledger: Ledger, events: Int) throws -> Measurement {
        var count = 0
        var sum: UInt64 = 0
        let start = Clock.seconds()
        try ledger.scanRecords(.all()) { r in
            count += 1
            sum &+= r.sequence &+ UInt64(r.streamVersion) &+ UInt64(r.schemaVersion)
                &+ UInt64(bitPattern: r.occurredAt.microseconds) &+ UInt64(bitPattern: r.recordedAt.microseconds)
            @inline(__always) func touch(_ field: UnsafeRawBufferPointer) {
                sum &+= UInt64(field.count) &+ UInt64(field.first ?? 0)
            }
            touch(r.typeBytes); touch(r.customerBytes); touch(r.storeBytes); touch(r.actorBytes)
            touch(r.channelBytes); touch(r.sourceBytes); touch(r.externalIdBytes); touch(r.payloadBytes)
            return true
        }
        let seconds = Clock.seconds() - start
        precondition(count == events && sum != 0, "scan saw \(count) events of \(events)")
        return Measurement(name: "scan-decode", events: count, batch: 0, seconds: seconds)
    }

    /// A full scan copying every event out of the map into an owned `RecordedEvent` and reading
    /// its customer as a String.
    func scanCopy(_ ledger: Ledger, events: Int) throws -> Measurement {
        var count = 0
        var bytes = 0
        let start = Clock.seconds()
        try ledger.scan(.all()) { event in
            count += 1
            bytes &+= event.customer.utf8.count
            return true
        }
        let seconds = Clock.seconds() - start
        precondition(count == events && bytes > 0, "scan saw \(count) events of \(events)")
        return Measurement(name: "scan-copy", events: count, batch: 0, seconds: seconds)
    }

    /// `verify` over the whole ledger.
    func verify(_ ledger: Ledger, events: Int) throws -> Measurement {
        let start = Clock.seconds()
        let report = try ledger.verify()
        let seconds = Clock.seconds() - start
        guard report.isSound, report.events == UInt64(events) else {
            throw LedgerError.notALedger(path: ledger.path, reason: "verify failed on a fresh ledger: \(report.problems)")
        }
        return Measurement(name: "verify", events: events, batch: 0, seconds: seconds,
                           detail: "\(Format.grouped(report.indexEntries)) index entries")
    }
}

/// A new, empty folder `clientele-bench-LABEL-XXXXXX` under `parent` (mkdtemp).
/// - Throws: `BenchFailure` when it cannot be made.
func temporaryFolder(in parent: String, label: String) throws -> String {
    var template = Array((parent + "/clientele-bench-\(label)-XXXXXX").utf8CString)
    guard template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }) != nil else {
        throw BenchFailure("cannot create a temporary folder in \(parent): \(String(cString: strerror(errno)))")
    }
    return String(decoding: template.dropLast().map { UInt8(bitPattern: $0) }, as: UTF8.self)
}
