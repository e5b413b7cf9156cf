import Access
import Audit
import ArgumentParser
import CustomerEvents
import Ledger
import LedgerJSON
import Projections
import Replay
#if canImport(Glibc)
import Glibc
#endif

/// How replay writes its answer.
enum ReplayFormat: String, ExpressibleByArgument, CaseIterable {
    case jsonl, csv, table
}

extension Clientele {
    /// `clientele replay`: the log to any point in time, for analysts.
    struct Replay: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Replay the log for analysis: the events, or a read model rebuilt as of a point with other parameters.",
            discussion: reflow("""
                --events streams the events (JSON Lines valid against schemas/, or flat CSV). \
                --model NAME rebuilds segments, tiers, churn or complaints (against their SLA \
                targets) in memory as of --until, with --param KEY=VALUE overriding the \
                configuration (e.g. segments.vipSpend=500000, churn.highAbove=0.5, \
                sla.targets.respondMinutes=120, loyalty.tiers='[{"name":"gold","minSpend":0}]'); \
                stored state is not touched. --compare shows how customers (or complaints) moved \
                between --from and --until (a transition matrix); --plot FILE draws segment sizes \
                over time as SVG.

                Pseudonymous by default: customer ids become a keyed hash (stable across runs with \
                the same master key, which is needed), personal fields and POS references are left \
                out. --identified shows ids and personal fields in clear; it needs the compliance or \
                admin role and each customer shown is recorded as a PersonalDataAccessed event. \
                Same log and options, same bytes out. A progress line goes to stderr when it is a terminal.
                """))

        @OptionGroup var options: DatabaseOptions
        @OptionGroup var keys: KeyOptions
        @OptionGroup var settings: ConfigOptions

        @Option(help: ArgumentHelp("From this time (RFC 3339 with a zone, business time) or sequence number, included.", valueName: "time|seq"))
        var from: String?

        @Option(help: ArgumentHelp("Up to this time or sequence number, included (default: the whole log).", valueName: "time|seq"))
        var until: String?

        @Option(help: "Only this store's events (with --model: customers whose home store it is).", transform: CanonicalText.normalized)
        var store: String?

        @Option(name: .customLong("type"), help: ArgumentHelp("Only events of this type (repeatable; --events only).", valueName: "type"))
        var types: [String] = []

        @Option(help: "Only this customer's events (with --model: only their row).", transform: CanonicalText.normalized)
        var customer: String?

        @Flag(help: "Stream the events.")
        var events = false

        @Option(help: ArgumentHelp("Rebuild this read model: \(ReplayModelName.allCases.map(\.rawValue).joined(separator: ", ")).", valueName: "name"))
        var model: String?

        @Option(name: .customLong("param"), help: ArgumentHelp("Override a configuration value for --model, by its path in the configuration file (repeatable).", valueName: "key=value"))
        var params: [String] = []

        @Flag(help: "With --model: how each customer's class (segment, tier, risk band) moved from --from to --until.")
        var compare = false

        @Option(help: ArgumentHelp("With --model: write an SVG of class sizes over time, month by month up to --until.", valueName: "file"))
        var plot: String?

        @Option(help: "Output: jsonl, csv or table.")
        var format: ReplayFormat = .jsonl

        @Option(help: ArgumentHelp("Write to this file instead of standard output.", valueName: "file"))
        var out: String?

        @Flag(help: "Show customer ids and personal fields in clear (compliance or admin role; recorded as access).")
        var identified = false

        @Option(help: "With --identified: why the personal data is being read (recorded with the access).")
        var purpose: String = "analysis replay"

        func validate() throws {
            guard events != (model != nil) else { throw ValidationError("give exactly one of --events and --model NAME") }
            if model == ReplayModelName.complaints.rawValue && plot != nil {
                throw ValidationError("--plot draws customer classes over time (segments, tiers, churn); complaints have no plot")
            }
            if let model, ReplayModelName(rawValue: model) == nil {
                throw ValidationError("--model '\(model)' is not one of: \(ReplayModelName.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            if let from, AsOf(from) == nil { throw ValidationError("--from '\(from)' is neither an RFC 3339 time with a zone nor a sequence number") }
            if let until, AsOf(until) == nil { throw ValidationError("--until '\(until)' is neither an RFC 3339 time with a zone nor a sequence number") }
            if events {
                for (flag, given) in [("--param", !params.isEmpty), ("--compare", compare), ("--plot", plot != nil)] where given {
                    throw ValidationError("\(flag) goes with --model, not --events")
                }
            } else {
                if !types.isEmpty { throw ValidationError("--type goes with --events") }
                if compare && from == nil { throw ValidationError("--compare needs --from (the first point; --until is the second)") }
                if from != nil && !compare && plot == nil { throw ValidationError("with --model, --from is the first point of --compare or the start of --plot") }
            }
            for p in params where !p.contains("=") { throw ValidationError("--param '\(p)' must be KEY=VALUE, e.g. segments.vipSpend=500000") }
        }

        func run() async throws {
            let principal = try options.authorize(identified ? .replayIdentified : .replay, config: settings.path)
            let ledger = try CustomerLedger.open(path: options.db, masterKeyFile: keys.masterKeyFile)
            defer { ledger.close() }
            var pseudonyms: CustomerPseudonyms?
            if !identified {
                do { pseudonyms = CustomerPseudonyms(masterKey: try MasterKey.load(file: keys.masterKeyFile)) } catch {
                    throw CommandFailure("replay makes pseudonyms with the master key, and \(error) (give --master-key-file or CLIENTELE_MASTER_KEY_FILE; or --identified, with the compliance role)")
                }
            }
            let sink = try ReplaySink(path: out)
            defer { sink.close() }
            if events {
                try runEvents(ledger, pseudonyms: pseudonyms, sink: sink, principal: principal)
            } else {
                try runModel(ledger, pseudonyms: pseudonyms, sink: sink)
            }
        }

        private func runEvents(_ ledger: CustomerLedger, pseudonyms: CustomerPseudonyms?, sink: ReplaySink, principal: Principal) throws {
            let filter = ReplayFilter(from: from.flatMap(AsOf.init), until: until.flatMap(AsOf.init), store: store, types: types, customer: customer)
            if format == .table { throw CommandFailure("--events writes jsonl or csv; a table of events is `clientele audit` or `clientele events`") }
            var replay = EventReplay(ledger: ledger, filter: filter, format: format == .csv ? .csv : .jsonl, pseudonyms: pseudonyms)
            let showProgress = Output.stderrIsTerminal
            let started = Clock.seconds()
            // Identified events show personal data: each stretch of text is written only once the
            // reading of the customers it shows first is on record.
            let reading = PersonalDataAccess(actor: principal.actor, purpose: purpose, endpoint: "clientele replay --identified")
            let outcome = try replay.run(sink: { sink.write(raw: $0) }, progress: showProgress ? { n in
                let rate = Double(n) / max(1e-9, Clock.seconds() - started)
                Output.write(Array("\r  replayed \(Format.grouped(n)) events, \(Format.grouped(Int(rate))) events/s\u{1B}[K".utf8), to: STDERR_FILENO)
            } : nil, recording: { customers in
                do { try reading.record(customers.map { ($0.id, $0.store) }, in: ledger.ledger) } catch {
                    throw CommandFailure("the reading of \(customers.count) customers' personal data could not be recorded, so it is not shown: \(error)")
                }
            })
            if showProgress { Output.write(Array("\r  replayed \(Format.grouped(outcome.events)) events in \(Format.fixed(Clock.seconds() - started, 2)) s\u{1B}[K\n".utf8), to: STDERR_FILENO) }
        }

        /// The configuration with --param overrides applied, checked against its schema.
        private func configurationWithParams() throws -> ClienteleConfiguration {
            guard !params.isEmpty else { return try settings.load(db: options.db) }
            var document: JSONValue = .object([])
            if let path = settings.file(db: options.db) {
                do { document = try ClienteleConfiguration.document(path: path) } catch { throw CommandFailure("cannot read the configuration: \(error)") }
            }
            for p in params {
                let eq = p.firstIndex(of: "=")!
                let key = String(p[..<eq]), text = String(p[p.index(after: eq)...])
                let value: JSONValue = (try? JSONParser.parse(text)) ?? .string(text)
                document = Self.setting(document, path: key.split(separator: ".").map(String.init), to: value)
            }
            do { return try ClienteleConfiguration.parse(document, file: "--param") } catch { throw CommandFailure(error.description) }
        }

        static func setting(_ doc: JSONValue, path: [String], to value: JSONValue) -> JSONValue {
            guard let first = path.first else { return value }
            var members: [(String, JSONValue)] = []
            if case .object(let m) = doc { members = m }
            if let i = members.firstIndex(where: { $0.0 == first }) {
                members[i].1 = setting(members[i].1, path: Array(path.dropFirst()), to: value)
            } else {
                members.append((first, setting(.object([]), path: Array(path.dropFirst()), to: value)))
            }
            return .object(members)
        }

        private func runModel(_ ledger: CustomerLedger, pseudonyms: CustomerPseudonyms?, sink: ReplaySink) throws {
            let configuration = try configurationWithParams()
            let name = ReplayModelName(rawValue: model!)!
            let replay = ModelReplay(ledger: ledger, model: name, configuration: configuration)
            var pseudonyms = pseudonyms
            func display(_ id: String) -> String { pseudonyms == nil ? id : pseudonyms!.pseudonym(id) }
            let wanted = customer.map(display)
            func keep(_ rows: [ModelRow]) -> [ModelRow] {
                rows.filter { r in
                    (wanted == nil || (name == .complaints ? r.fields.first { $0.0 == "customer" }?.1.stringValue : r.customer) == wanted) &&
                        (store == nil || r.fields.first { $0.0 == "homeStore" }?.1.stringValue == store)
                }
            }
            let untilPoint = until.flatMap(AsOf.init)
            if let plot {
                try writePlot(replay, to: plot, until: untilPoint, from: from.flatMap(AsOf.init), display: display)
                if !compare { Output.error("wrote \(plot)"); if out == nil && format == .table { return } }
            }
            do {
                if compare {
                    let (before, _) = try replay.rows(asOf: from.flatMap(AsOf.init), display: display)
                    let (after, _) = try replay.rows(asOf: untilPoint, display: display)
                    let matrix = TransitionMatrix(before: keep(before), after: keep(after), order: replay.classOrder)
                    sink.write(Array(render(matrix).utf8))
                    return
                }
                let (rows, now) = try replay.rows(asOf: untilPoint, display: display)
                sink.write(Array(render(keep(rows), order: replay.classOrder, name: name, now: now).utf8))
            } catch let e as ModelReplayError {
                throw CommandFailure(e.description)
            }
        }

        private func render(_ rows: [ModelRow], order: [String], name: ReplayModelName, now: Timestamp) -> String {
            switch format {
            case .jsonl:
                var w = JSONWriter(capacity: rows.count * 128)
                for r in rows { w.write(.object([(name.rowSubject, .string(r.customer))] + r.fields.filter { $0.0 != name.rowSubject })); w.bytes.append(0x0A) }
                return w.text
            case .csv:
                guard let first = rows.first else { return name.rowSubject + "\r\n" }
                var text = CSV.line([name.rowSubject] + first.fields.map(\.0))
                for r in rows {
                    text += CSV.line([r.customer] + first.fields.map { key in
                        let v = r.fields.first { $0.0 == key.0 }?.1 ?? .null
                        switch v {
                        case .string(let s): return s
                        case .null: return ""
                        case .array(let a): return a.compactMap(\.stringValue).joined(separator: "; ")
                        default: var w = JSONWriter(); w.write(v); return w.text
                        }
                    })
                }
                return text
            case .table:
                var counts: [String: Int] = [:]
                for r in rows { counts[r.className, default: 0] += 1 }
                let classHeader = name == .churn ? "band" : name == .tiers ? "tier" : name == .complaints ? "SLA" : "segment"
                var t = TextTable(header: [classHeader, name.rowSubject + "s", "share"], rightAligned: [1, 2])
                let classes = order + counts.keys.filter { !order.contains($0) }.sorted()
                for c in classes where counts[c] != nil {
                    t.rows.append([c, Format.grouped(counts[c]!), Format.fixed(100 * Double(counts[c]!) / Double(max(1, rows.count)), 1) + " %"])
                }
                return "\(name.rawValue) as of \(now.iso8601): \(Format.grouped(rows.count)) \(name.rowSubject)s\n" + t.render() + "\n"
            }
        }

        private func render(_ m: TransitionMatrix) -> String {
            let origins = [TransitionMatrix.absent] + m.classes
            let used = m.classes.filter { c in origins.contains { m.counts[$0]?[c] != nil } }
            let rowsUsed = origins.filter { m.counts[$0] != nil }
            switch format {
            case .jsonl:
                var w = JSONWriter(capacity: m.moves.count * 80)
                for mv in m.moves { w.write(.object([("customer", .string(mv.customer)), ("from", .string(mv.from)), ("to", .string(mv.to))])); w.bytes.append(0x0A) }
                return w.text
            case .csv:
                var text = CSV.line(["from \\ to"] + used)
                for o in rowsUsed { text += CSV.line([o] + used.map { String(m.counts[o]?[$0] ?? 0) }) }
                return text
            case .table:
                var t = TextTable(header: ["from \\ to"] + used.indices.map { "\($0 + 1)" }, rightAligned: Set(1...max(1, used.count)))
                for o in rowsUsed { t.rows.append([o] + used.map { c in m.counts[o]?[c].map { Format.grouped($0) } ?? "·" }) }
                var text = "customers by class at --from (rows) and at --until (columns; \(TransitionMatrix.absent): no events yet)\n" + t.render() + "\n"
                text += used.enumerated().map { "\($0.offset + 1) = \($0.element)" }.joined(separator: ", ") + "\n"
                return text
            }
        }

        private func writePlot(_ replay: ModelReplay, to file: String, until: AsOf?, from: AsOf?, display: (String) -> String) throws {
            let end = try ReplayFold.moment(of: until, in: replay.ledger)
            var start: Timestamp?
            if case .time(let t)? = from { start = t }
            if start == nil {
                try replay.ledger.ledger.scanRecords(.occurred(from: Timestamp(microseconds: .min / 2), until: Timestamp(microseconds: .max / 2))) { r in
                    start = r.occurredAt; return false
                }
            }
            guard let start, start < end else { throw CommandFailure("--plot: the log has no events before \(end.iso8601)") }
            let times = SegmentPlot.monthlyTimes(from: start, to: end)
            var points: [SegmentPlot.Point] = []
            var failure: Error?
            try ReplayFold.summaries(at: times, ledger: replay.ledger) { time, summaries in
                do {
                    var counts: [String: Int] = [:]
                    for r in try replay.rows(summaries, now: time, display: display) { counts[r.className, default: 0] += 1 }
                    points.append(SegmentPlot.Point(time: time, counts: counts))
                } catch { failure = error; points.append(SegmentPlot.Point(time: time, counts: [:])) }
            }
            if let failure, replay.model != .churn { throw failure }
            let title = "Customers by \(replay.model == .churn ? "churn risk band" : replay.model == .tiers ? "loyalty tier" : "segment"), \(start.iso8601.prefix(10)) to \(end.iso8601.prefix(10))"
            let svg = SegmentPlot(title: title, classes: replay.classOrder, points: points).svg()
            let sink = try ReplaySink(path: file)
            defer { sink.close() }
            sink.write(Array(svg.utf8))
        }
    }
}

/// Standard output, or a file given with --out.
final class ReplaySink {
    private let fd: Int32
    private let owned: Bool

    init(path: String?) throws {
        guard let path else { fd = STDOUT_FILENO; owned = false; return }
        let f = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o640)
        guard f >= 0 else { throw CommandFailure("cannot write \(path): \(String(cString: strerror(errno)))") }
        fd = f
        owned = true
    }

    @discardableResult
    func write(_ bytes: [UInt8]) -> Bool { Output.write(bytes, to: fd) }

    /// Writes raw bytes, retrying short writes; false when the reader went away.
    func write(raw: UnsafeRawBufferPointer) -> Bool {
        var offset = 0
        while offset < raw.count {
            let n = Glibc.write(fd, raw.baseAddress! + offset, raw.count - offset)
            if n < 0 { if errno == EINTR { continue }; return false }
            offset += n
        }
        return true
    }

    func close() { if owned { Glibc.close(fd) } }
}
