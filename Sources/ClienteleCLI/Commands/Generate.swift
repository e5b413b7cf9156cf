import ArgumentParser
import CustomerEvents
import Ledger
import LedgerJSON
import SyntheticChain
import Dispatch
#if canImport(Glibc)
import Glibc
#endif

extension Clientele {
    /// `clientele generate`: a synthetic chain for demos, tests and benchmarks.
    struct Generate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Generate a believable synthetic store chain, deterministic for a seed.",
            discussion: reflow("""
                Customers register and consent, buy by a Poisson process of their own and may drop
                out after each purchase (the BG/NBD story); baskets have categorised lines; there are
                returns, visits without purchase, complaints whose handling sometimes breaks its SLA,
                callbacks with satisfaction, withdrawn consents and birthday greetings.

                With --db it appends the events (checked and sealed like any append; running it again
                adds nothing). With --jsonl it writes them as JSON Lines instead, and with --export
                --profile uci it writes the purchases and returns as a UCI Online Retail II export.
                """))

        @Option(help: "Stores in the chain.") var stores: Int = 5
        @Option(help: "Customers.") var customers: Int = 1_000
        @Option(help: "Days of history.") var days: Int = 365
        @Option(help: "The seed: the same seed gives the same chain.") var seed: UInt64 = 1
        @Option(help: ArgumentHelp("The last day of history, YYYY-MM-DD in the chain's zone (+08:00); a demo gives yesterday so that its customers are current. Without it the chain starts on 2025-01-01.",
                                   valueName: "date")) var until: String?
        @Option(help: ArgumentHelp("Append to the ledger at this path.", valueName: "path")) var db: String?
        @Option(help: ArgumentHelp("Write the events as JSON Lines to this file ('-' for standard output).", valueName: "file")) var jsonl: String?
        @Option(help: ArgumentHelp("Write the purchases as a POS export to this file.", valueName: "file")) var export: String?
        @Option(help: "The export's format (uci).") var profile: String = "uci"
        @OptionGroup var keys: KeyOptions

        func validate() throws {
            guard [db, jsonl, export].compactMap({ $0 }).count == 1 else { throw ValidationError("give exactly one of --db, --jsonl and --export") }
            guard stores >= 1, customers >= 1, days >= 1 else { throw ValidationError("--stores, --customers and --days must be at least 1") }
            guard customers <= 50_000_000 else { throw ValidationError("--customers is limited to 50,000,000") }
            if export != nil, profile != "uci" { throw ValidationError("--profile must be uci (UCI Online Retail II)") }
            if let until, Self.firstDay(until: until, days: days) == nil { throw ValidationError("--until must be a date such as 2026-03-31, not '\(until)'") }
        }

        /// Midnight of the chain's first day when its last is `until` (nil when `until` is not a date).
        static func firstDay(until: String, days: Int) -> Timestamp? {
            let u = Array(until.utf8)
            guard u.count == 10, u[4] == 0x2D, u[7] == 0x2D,
                  let last = Timestamp(iso8601: until + "T00:00:00+08:00"), last.iso8601.hasPrefix(until) else { return nil }
            return Timestamp(microseconds: last.microseconds - Int64(days - 1) * 86_400_000_000, offsetMinutes: last.offsetMinutes)
        }

        func run() async throws {
            var parameters = ChainParameters()
            parameters.stores = stores
            parameters.customers = customers
            parameters.days = days
            parameters.seed = seed
            if let until, let first = Self.firstDay(until: until, days: days) { parameters.start = first }
            let started = Clock.seconds()
            let generator = ChainGenerator(parameters)
            var events = 0
            if let db {
                var open = LedgerOptions()
                open.create = true
                let ledger = try CustomerLedger.open(path: db, masterKeyFile: keys.masterKeyFile, options: open)
                defer { ledger.close() }
                // Registrations carry sealed personal data: without a key every one of them would be
                // refused at the end, after the rest of the chain was appended without them.
                if let problem = ledger.keys.sealingProblem {
                    throw CommandFailure("generate writes customers' personal data, sealed; nothing was written. \(problem)")
                }
                // Prepare (check and seal) the next batch while the writer commits this one.
                let pipeline = AppendPipeline(ledger: ledger.ledger, depth: 2)
                var batch: [JSONValue] = []
                batch.reserveCapacity(50_000)
                var refused: EventInputError?
                func flush() {
                    let prepared = ledger.prepare(batch)
                    var ready: [NewEvent] = []
                    ready.reserveCapacity(prepared.count)
                    for p in prepared {
                        switch p {
                        case .success(let e): ready.append(e)
                        case .failure(let e): refused = refused ?? e
                        }
                    }
                    pipeline.submit(ready)
                    batch.removeAll(keepingCapacity: true)
                    if Output.stderrIsTerminal { Output.error("\r\(Format.grouped(events)) events…") }
                }
                generator.run { event in
                    batch.append(event)
                    events += 1
                    if batch.count == 50_000 { flush() }
                }
                flush()
                let (appended, duplicates, failure) = pipeline.finish()
                if let refused { throw CommandFailure("the generator made an event the catalog refused: \(refused)") }
                if let failure { throw CommandFailure("the ledger refused a generated event: \(failure)") }
                report(events, started, extra: "appended \(Format.grouped(appended)), already there \(Format.grouped(duplicates))")
            } else {
                let path = jsonl ?? export!
                let fd = path == "-" ? STDOUT_FILENO : open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
                guard fd >= 0 else { throw CommandFailure("cannot write \(path): \(String(cString: strerror(errno)))") }
                defer { if fd != STDOUT_FILENO { close(fd) } }
                var buffer: [UInt8] = []
                buffer.reserveCapacity(1 << 20)
                let uci = UCIExportWriter()
                if export != nil { buffer += Array(UCIExportWriter.header.utf8) }
                var ok = true
                generator.run { event in
                    events += 1
                    if export != nil {
                        buffer += uci.rows(for: event)
                    } else {
                        var w = JSONWriter()
                        w.write(event)
                        buffer += w.bytes
                        buffer.append(0x0A)
                    }
                    if buffer.count > 1 << 20 { ok = ok && Output.write(buffer, to: fd); buffer.removeAll(keepingCapacity: true) }
                }
                ok = ok && Output.write(buffer, to: fd)
                guard ok else { throw CommandFailure("writing \(path) failed: \(String(cString: strerror(errno)))") }
                report(events, started, extra: path == "-" ? "" : "written to \(path)")
            }
        }

        private func report(_ events: Int, _ started: Double, extra: String) {
            let seconds = Clock.seconds() - started
            Output.error("generated \(Format.grouped(events)) events for \(Format.grouped(customers)) customers, \(stores) stores, \(days) days (seed \(seed)) in \(Format.fixed(seconds, 1)) s\(extra.isEmpty ? "" : "; " + extra)")
        }
    }
}

/// Keeps up to `depth` batches in the writer's hands at once, so the caller can prepare the next
/// while earlier ones commit, and tallies what came back.
final class AppendPipeline: @unchecked Sendable {
    // @unchecked Sendable: the tallies are guarded by `lock`; `slots` is a semaphore.
    private let ledger: Ledger
    private let slots: DispatchSemaphore
    private let depth: Int
    private let lock = NSLockLike()
    private var appended = 0, duplicates = 0
    private var failure: AppendError?

    init(ledger: Ledger, depth: Int) {
        self.ledger = ledger
        self.depth = depth
        slots = DispatchSemaphore(value: depth)
    }

    func submit(_ events: [NewEvent]) {
        slots.wait()
        ledger.submit(events) { results in
            self.lock.locked {
                for r in results {
                    switch r {
                    case .success(let receipt): if receipt.duplicate { self.duplicates += 1 } else { self.appended += 1 }
                    case .failure(let e): self.failure = self.failure ?? e
                    }
                }
            }
            self.slots.signal()
        }
    }

    /// Waits for every batch, then gives the tallies.
    func finish() -> (appended: Int, duplicates: Int, failure: AppendError?) {
        for _ in 0..<depth { slots.wait() }
        for _ in 0..<depth { slots.signal() }
        return lock.locked { (appended, duplicates, failure) }
    }
}

/// A pthread mutex with a closure, for the few counters shared with the writer thread.
final class NSLockLike: @unchecked Sendable {
    // @unchecked Sendable: a pthread mutex is made to be shared.
    private var mutex = pthread_mutex_t()
    init() { pthread_mutex_init(&mutex, nil) }
    deinit { pthread_mutex_destroy(&mutex) }
    func locked<R>(_ body: () -> R) -> R {
        pthread_mutex_lock(&mutex)
        defer { pthread_mutex_unlock(&mutex) }
        return body()
    }
}
