import Access
import ArgumentParser
import CustomerEvents
import Ledger
import LedgerJSON
import Projections

/// Output formats for people and machines.
enum OutputFormat: String, ExpressibleByArgument, CaseIterable {
    case table, json, csv
}

extension Clientele {
    /// `clientele segments`: the segment mix, or every customer's segment.
    struct Segments: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show customer segments: VIP / regular / potential and the 11 RFM segments.",
            discussion: reflow("""
                RFM scores are quintiles 1–5 over the customers who bought (5 best; recency counted
                from --as-of or now), ties ranked by first occurrence in customer-id order; net of
                returns. --customers lists each customer (pseudonymous: ids only) instead of counts.
                """))

        @OptionGroup var options: DatabaseOptions
        @OptionGroup var config: ConfigOptions

        @OptionGroup var asOf: AsOfOptions

        @Option(help: "Output: table, json (the mix as one document; with --customers, JSON Lines: one object a line) or csv.")
        var format: OutputFormat = .table

        @Flag(help: "List every customer's scores instead of the counts.")
        var customers = false

        @Option(name: .customLong("vip-spend"), help: "Net spend in minor units from which a customer is a VIP (overrides the configuration).")
        var vipSpend: Int64?

        func run() async throws {
            let principal = try options.authorize(.readReports, config: config.path)
            let ledger = try CustomerLedger.open(path: options.db)
            defer { ledger.close() }
            let models = try ProjectionStore(ledger: ledger)
            defer { models.close() }
            let (summaries, now) = try models.customerSummaries(asOf: asOf.point(in: ledger.ledger))
            var rules = try config.load(db: options.db).segments
            if let vipSpend { rules.vipSpend = vipSpend }
            let assigned = Segmentation.assign(summaries, now: now, rules: rules)
            if customers {
                // Ranked among everyone; a clerk's list holds the customers of their own store(s),
                // as the service's search does.
                var homes: [String: String] = [:]
                if principal.role == .clerk { for (k, s) in summaries { homes[k] = s.homeStore } }
                printCustomers(principal.role == .clerk ? assigned.filter { principal.mayAct(inStore: homes[$0.key]) } : assigned)
                return
            }
            var byKind: [String: Int] = [:], byRFM: [String: Int] = [:]
            for a in assigned.values {
                byKind[a.kind.rawValue, default: 0] += 1
                if let s = a.rfmSegment { byRFM[s, default: 0] += 1 }
            }
            let kinds = SegmentAssignment.Kind.allCases.map { ($0.rawValue, byKind[$0.rawValue] ?? 0) }
            let rfm = rules.rfmSegmentNames(counted: byRFM.keys).sorted { (byRFM[$0] ?? 0, $1) > (byRFM[$1] ?? 0, $0) }.map { ($0, byRFM[$0] ?? 0) }
            switch format {
            case .json:
                let doc: JSONValue = .object([
                    ("customers", .number(String(assigned.count))),
                    ("segments", .object(kinds.map { ($0.0, .number(String($0.1))) })),
                    ("rfm", .object(rfm.map { ($0.0, .number(String($0.1))) })),
                ])
                var w = JSONWriter(); w.write(doc); w.bytes.append(0x0A); Output.write(w.bytes)
            case .csv:
                Output.csv(["scheme", "segment", "customers"])
                for (k, n) in kinds { Output.csv(["segment", k, String(n)]) }
                for (k, n) in rfm { Output.csv(["rfm", k, String(n)]) }
            case .table:
                let total = max(1, assigned.count)
                var t = TextTable(header: ["segment", "customers", "share"], rightAligned: [1, 2])
                for (k, n) in kinds { t.rows.append([k, Format.grouped(n), Format.fixed(100 * Double(n) / Double(total), 1) + " %"]) }
                Output.line(t.render())
                Output.line("")
                let buyers = max(1, byRFM.values.reduce(0, +))
                var r = TextTable(header: ["RFM segment", "customers", "share of buyers"], rightAligned: [1, 2])
                for (k, n) in rfm { r.rows.append([k, Format.grouped(n), Format.fixed(100 * Double(n) / Double(buyers), 1) + " %"]) }
                Output.line(r.render())
            }
        }

        private func printCustomers(_ assigned: [String: SegmentAssignment]) {
            let rows = assigned.sorted { $0.key < $1.key }
            // Long lists go out as CSV even when a table was asked for: a table of thousands helps nobody.
            let asCSV = format == .csv || (format == .table && rows.count > 200)
            switch asCSV ? .csv : format {
            case .csv:
                Output.csv(["customer", "segment", "r", "f", "m", "rfm_segment"])
                var out = ""
                for (id, a) in rows {
                    out += Output.csvText([id, a.kind.rawValue, a.rfm.map { String($0.r) } ?? "", a.rfm.map { String($0.f) } ?? "", a.rfm.map { String($0.m) } ?? "",
                                           a.rfmSegment ?? ""]) + "\r\n"
                    if out.utf8.count > 1 << 16 { Output.write(Array(out.utf8)); out = "" }
                }
                Output.write(Array(out.utf8))
            case .json:
                var w = JSONWriter()
                for (id, a) in rows {
                    var m: [(String, JSONValue)] = [("customer", .string(id)), ("segment", .string(a.kind.rawValue))]
                    if let s = a.rfm { m += [("r", .number(String(s.r))), ("f", .number(String(s.f))), ("m", .number(String(s.m)))] }
                    if let s = a.rfmSegment { m.append(("rfmSegment", .string(s))) }
                    w.write(.object(m)); w.bytes.append(0x0A)
                }
                Output.write(w.bytes)
            case .table:
                var t = TextTable(header: ["customer", "segment", "R", "F", "M", "RFM segment"], rightAligned: [2, 3, 4])
                for (id, a) in rows {
                    t.rows.append([id, a.kind.rawValue, a.rfm.map { String($0.r) } ?? "", a.rfm.map { String($0.f) } ?? "", a.rfm.map { String($0.m) } ?? "", a.rfmSegment ?? ""])
                }
                Output.line(t.render())
            }
        }
    }

    /// `clientele rebuild`: rebuilds read models from the log.
    struct Rebuild: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Rebuild read models from the whole log (into a shadow, swapped in when complete).",
            discussion: reflow("""
                The chosen models are rebuilt together, in one scan of the log. Prints a line for
                each model, then how long each phase took: the fold (scanning the log and folding
                its events), the sort (putting records in key order), the write and the sync to disk.
                """))

        @OptionGroup var options: DatabaseOptions
        @OptionGroup var settings: ConfigOptions

        static let known = [CustomerSummaryProjector.name, ComplaintStatusProjector.name, DailySummaryProjector.name, LoyaltyProjector.name]

        @Argument(help: "Models to rebuild (default: all): \(Rebuild.known.joined(separator: ", ")).")
        var models: [String] = []

        func validate() throws {
            for m in models where !Rebuild.known.contains(m) {
                throw ValidationError("unknown model '\(m)'; known: \(Rebuild.known.joined(separator: ", "))")
            }
        }

        func run() async throws {
            _ = try options.authorize(.administer)
            let ledger = try CustomerLedger.open(path: options.db)
            defer { ledger.close() }
            let store = try ProjectionStore(ledger: ledger)
            defer { store.close() }
            let chosen = models.isEmpty ? Rebuild.known : models
            // The chosen models together, in one scan of the log.
            let projectors = ProjectionStore.storedModels(try settings.load(db: options.db)).filter { chosen.contains(type(of: $0).name) }
            let started = Clock.seconds()
            let report = try store.rebuildReporting(projectors)
            for name in chosen {
                Output.line("rebuilt \(name) through event \(report.head) in \(Format.fixed(Clock.seconds() - started, 2)) s")
            }
            Output.line("phases: " + report.phases.described)
            for (name, n) in report.refolded.sorted(by: { $0.key < $1.key }) {
                let how = report.refoldedInOnePass.contains(name) ? " (the whole model, in one pass over the time index)" : ""
                let what = name == ComplaintStatusProjector.name ? (n == 1 ? "complaint had steps" : "complaints had steps") : (n == 1 ? "customer had events" : "customers had events")
                Output.line("\(name): \(n) \(what) recorded out of the order they occurred in: folded again in that order\(how)")
            }
        }
    }
}
