import ArgumentParser
import CustomerEvents
import Projections
import Ledger
import LedgerJSON
#if canImport(Glibc)
import Glibc
#endif

extension Clientele {
    /// `clientele bench`: measures the ledger on this machine.
    struct Bench: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Measure appends, group commit, scans and verify on this machine.",
            discussion: reflow("""
                Each measurement runs on a fresh ledger in a temporary folder under --dir, with \
                events shaped like ../shared/bench/lmdb_limit.c's (see tools/bench-ledger to run \
                both side by side). With no names it runs the whole suite at a size that finishes \
                in about a minute, and ingest (a few seconds per run for a million lines). \
                Measurements: \(Bench.all.joined(separator: ", ")).

                ingest writes a UCI Online Retail II export of --lines lines with the synthetic \
                chain (or takes --file, read with --ingest-args) and runs `clientele ingest` on it \
                in a child process into a fresh ledger: lines per second (as events/s) and the \
                child's peak memory (getrusage ru_maxrss), with the peaks of its private memory \
                and of its file-backed pages (code, and the ledger's pages mapped by LMDB). tools/bench-ingest-postgres runs it beside \
                PostgreSQL's COPY of the same file.

                replay writes a filled ledger (--events, default 1M) as pseudonymous JSON Lines to \
                /dev/null. audit-customer reads one customer's 1,000 sealed events (among 100,000 others) as \
                `audit customer` does, median of 51. backup times `clientele backup` of the filled ledger \
                beside `cp` + fsync of the same files, alternated --runs times (tools/bench-backup builds a \
                larger ledger for it).
                """))

        static let all = ["append-batch", "append-concurrent", "scan-decode", "scan-copy", "verify", "validate", "append-sealed", "ingest",
                          "rebuild", "catchup", "customer360", "bgnbd-fit", "replay", "audit-customer", "backup"]

        @Argument(help: ArgumentHelp("Measurements to run (default: all).", valueName: "name"))
        var names: [String] = []

        @Option(help: "Events per measurement (default: a size per measurement that keeps the suite short).")
        var events: Int?

        @Option(help: "Events per transaction for append-batch (default: 100000 and 1000).")
        var batch: Int?

        @Option(help: "Payload bytes per event.")
        var payload: Int = 200

        @Option(help: "Concurrent writers for append-concurrent.")
        var writers: Int = 32

        @Option(help: "Lines of the UCI export for ingest.")
        var lines: Int = 1_000_000

        @Option(help: ArgumentHelp("Ingest this export instead of a generated one.", valueName: "file"))
        var file: String?

        @Option(name: .customLong("ingest-args"), help: ArgumentHelp("The arguments `clientele ingest` needs for --file (default: those of the generated export).", valueName: "args"))
        var ingestArgs: String?

        @Option(help: "Folder for the temporary ledgers (on the disk you want to measure).")
        var dir: String = "/tmp"

        @Option(help: "Runs of each measurement (appends on a fresh ledger each time); the median is reported.")
        var runs: Int = 3

        @Flag(help: "Keep the temporary ledgers.")
        var keep = false

        @Flag(help: "Print one JSON object per measurement.")
        var json = false

        func validate() throws {
            for name in names where !Bench.all.contains(name) {
                throw ValidationError("unknown measurement '\(name)'; choose from \(Bench.all.joined(separator: ", "))")
            }
            if let events, events < 1 { throw ValidationError("--events must be at least 1") }
            if let batch, batch < 1 { throw ValidationError("--batch must be at least 1") }
            guard runs >= 1 else { throw ValidationError("--runs must be at least 1") }
            guard writers >= 1 else { throw ValidationError("--writers must be at least 1") }
            guard payload >= 11, payload <= 1 << 20 else { throw ValidationError("--payload must be from 11 to 1048576 bytes") }
            guard lines >= 1 else { throw ValidationError("--lines must be at least 1") }
            if ingestArgs != nil, file == nil { throw ValidationError("--ingest-args goes with --file") }
        }

        func run() async throws {
            let selected = names.isEmpty ? Bench.all : names
            let bench = LedgerBenchmarks(folder: dir, payloadBytes: payload, keep: keep)
            var table = TextTable(header: ["measurement", "events", "batch", "seconds", "events/s"], rightAligned: [1, 2, 3, 4])
            var notes: [String] = []
            func report(_ m: Measurement) {
                if json {
                    var w = JSONWriter()
                    w.raw("{\"name\":"); w.string(m.name)
                    w.raw(",\"events\":"); w.number(Int64(m.events))
                    w.raw(",\"batch\":"); w.number(Int64(m.batch))
                    w.raw(",\"payload\":"); w.number(Int64(payload))
                    w.raw(",\"seconds\":"); w.raw(Format.fixed(m.seconds, 6).utf8)
                    w.raw(",\"events_per_second\":"); w.raw(Format.fixed(m.eventsPerSecond, 0).utf8)
                    for (key, value) in m.extra { w.raw(","); w.string(key); w.raw(":"); w.raw(value.utf8) }
                    if !m.detail.isEmpty { w.raw(",\"detail\":"); w.string(m.detail) }
                    w.raw("}\n")
                    Output.write(w.bytes)
                } else {
                    table.rows.append([m.name, Format.grouped(m.events), m.batch > 0 ? Format.grouped(m.batch) : "",
                                       Format.fixed(m.seconds, 3), Format.grouped(Int(m.eventsPerSecond))])
                    if !m.detail.isEmpty { notes.append("\(m.name)\(m.batch > 1 ? " (batch \(Format.grouped(m.batch)))" : ""): \(m.detail)") }
                    if Output.stderrIsTerminal { Output.error("  \(m.name): \(Format.grouped(Int(m.eventsPerSecond))) events/s") }
                }
            }
            func median(_ measure: () throws -> Measurement) throws -> Measurement {
                var all = try (0..<runs).map { _ in try measure() }
                all.sort { $0.seconds < $1.seconds }
                var m = all[all.count / 2]
                if runs > 1 {
                    let list = all.map { Format.fixed($0.seconds, 3) }.joined(separator: ", ")
                    m.detail = (m.detail.isEmpty ? "" : m.detail + "; ") + "median of \(runs) runs: \(list) s"
                }
                return m
            }
            if selected.contains("append-batch") {
                let batches = batch.map { [$0] } ?? [100_000, 1_000]
                for b in batches {
                    report(try median { try bench.appendBatched(events: events ?? (b >= 10_000 ? 200_000 : 50_000), batch: b) })
                }
            }
            if selected.contains("append-concurrent") {
                var all: [Measurement] = []
                for _ in 0..<runs { all.append(try await bench.appendConcurrent(events: events ?? 20_000, writers: writers)) }
                report(try median { all.removeFirst() })
            }
            if selected.contains("validate") || selected.contains("append-sealed") {
                let n = events ?? 100_000
                let docs = CatalogBenchmarks.workload(events: n)
                let catalog = CatalogBenchmarks(ledgers: bench)
                if selected.contains("validate") {
                    let lines = docs.map { doc -> [UInt8] in var w = JSONWriter(); w.write(doc); return w.bytes }
                    report(try median { try catalog.validate(lines: lines) })
                }
                if selected.contains("append-sealed") {
                    let key = MasterKey.generate()
                    let b = batch ?? 10_000
                    // Alternate the two so that both see the same machine.
                    var plain: [Measurement] = [], sealed: [Measurement] = []
                    for _ in 0..<runs {
                        plain.append(try catalog.append(docs, sealing: false, batch: b, masterKey: key))
                        sealed.append(try catalog.append(docs, sealing: true, batch: b, masterKey: key))
                    }
                    let p = try median { plain.removeFirst() }, s = try median { sealed.removeFirst() }
                    report(p)
                    var withRatio = s
                    withRatio.detail += "; \(Format.fixed(100 * (1 - s.eventsPerSecond / p.eventsPerSecond), 1)) % below unsealed"
                    report(withRatio)
                }
            }
            let modelNames = selected.filter { ["rebuild", "catchup", "customer360"].contains($0) }
            if !modelNames.isEmpty {
                // --events here counts customers' worth of chain: about 11 events per customer.
                let customers = max(100, (events ?? 300_000) / 11)
                let models = ModelBenchmarks(ledgers: bench)
                let (log, ledger, store, count) = try models.chainLedger(customers: customers)
                defer { store.close(); ledger.keys.close(); bench.dispose(log) }
                if modelNames.contains("rebuild") { report(try median { try models.rebuild(store, events: count) }) }
                if modelNames.contains("catchup") { report(try median { try models.catchUp(ledger, store, count: 1_000) }) }
                if modelNames.contains("customer360") { report(try models.customer360(store, customers: customers, samples: 10_000)) }
            }
            if selected.contains("bgnbd-fit") {
                report(try median { try ModelBenchmarks(ledgers: bench).bgnbdFit(customers: events ?? 1_000_000) })
            }
            let reads = selected.filter { ["scan-decode", "scan-copy", "verify"].contains($0) }
            if !reads.isEmpty {
                let n = events ?? 1_000_000
                let ledger = try bench.filledLedger(events: n)
                defer { bench.dispose(ledger) }
                if reads.contains("scan-decode") { report(try median { try bench.scanDecode(ledger, events: n) }) }
                if reads.contains("scan-copy") { report(try median { try bench.scanCopy(ledger, events: n) }) }
                if reads.contains("verify") { report(try median { try bench.verify(ledger, events: n) }) }
            }
            let analyst = selected.filter { ["replay", "audit-customer", "backup"].contains($0) }
            if !analyst.isEmpty {
                let key = MasterKey.generate()
                let a = AnalystBenchmarks(ledgers: bench)
                if analyst.contains("replay") || analyst.contains("backup") {
                    let n = events ?? 1_000_000
                    let ledger = try bench.filledLedger(events: n)
                    defer { bench.dispose(ledger) }
                    if analyst.contains("replay") {
                        let customers = try a.customerLedger(ledger, key: key)
                        defer { customers.keys.close() }
                        report(try median { try a.replay(customers, events: n, key: key) })
                    }
                    if analyst.contains("backup") { report(try a.backup(ledger, events: n, runs: runs)) }
                }
                if analyst.contains("audit-customer") {
                    let (ledger, customers) = try a.auditLedger(others: 100_000, key: key)
                    defer { customers.keys.close(); bench.dispose(ledger) }
                    report(try a.auditCustomer(customers, samples: 51))
                }
            }
            if selected.contains("ingest") {
                let ingest = IngestBenchmark(folder: dir, keep: keep)
                var path = file
                var arguments = IngestBenchmark.exportArguments
                if let ingestArgs { arguments = ingestArgs.split(separator: " ").map(String.init) }
                if path == nil {
                    if Output.stderrIsTerminal && !json { Output.error("  writing a \(Format.grouped(lines))-line UCI export…") }
                    path = try ingest.export(lines: lines).path
                }
                defer { if file == nil && !keep { unlink(path!) } }
                report(try median { try ingest.run(file: path!, arguments: arguments) })
            }
            if !json {
                Output.line(table.render())
                if !notes.isEmpty { Output.line(""); notes.forEach { Output.line($0) } }
            }
        }
    }
}
