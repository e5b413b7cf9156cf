import Access
import ArgumentParser
import CustomerBase
import CustomerEvents
import Ledger
import LedgerJSON
import Projections

extension Clientele {
    /// `clientele churn`: who is drifting away, why, and what to do.
    struct Churn: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Churn risk per customer: BG/NBD fitted over all customers, raised by complaint signals, with reasons and a win-back action.",
            discussion: reflow("""
                P(active) comes from a BG/NBD model fitted by maximum likelihood to every customer's
                repeat-purchase days. BG/NBD lets no one leave before a second purchase, so for a
                customer who bought on one day only, that purchase counts as a chance to leave
                (MBG/NBD's P(alive) with the same fit): their risk grows with the wait for a
                second purchase. An unresolved complaint (open over a day) or an unhappy
                resolution raises the risk. Bands: low < 33 %, high > 66 % (configurable).
                Suggested actions respect marketing consent.
                """))

        @OptionGroup var options: DatabaseOptions
        @OptionGroup var config: ConfigOptions

        @Option(help: "Only this band: low, medium or high.")
        var risk: String?

        @OptionGroup var asOf: AsOfOptions

        @Option(help: "Output: table, json (JSON Lines: one object a line) or csv.")
        var format: OutputFormat = .table

        @Option(help: "At most this many customers, riskiest first (0: all).")
        var limit: Int = 50

        func validate() throws {
            if let risk, ChurnRiskBand(rawValue: risk) == nil { throw ValidationError("--risk must be low, medium or high") }
        }

        func run() async throws {
            let principal = try options.authorize(.readReports, config: config.path)
            let settings = try config.load(db: options.db)
            let ledger = try CustomerLedger.open(path: options.db)
            defer { ledger.close() }
            let models = try ProjectionStore(ledger: ledger)
            defer { models.close() }
            let (summaries, now) = try models.customerSummaries(asOf: asOf.point(in: ledger.ledger))
            let result: ChurnModel.Result
            do { result = try ChurnModel.assess(summaries, now: now, configuration: settings) } catch {
                throw CommandFailure("the churn model cannot be fitted on this ledger: \(error)")
            }
            // The model is fitted over everyone; a clerk sees the customers of their own store(s), as
            // GET /v1/reports/churn shows them.
            var homes: [String: String] = [:]
            if principal.role == .clerk { for (k, s) in summaries { homes[k] = s.homeStore } }
            let visible = principal.role == .clerk ? result.assessments.filter { principal.mayAct(inStore: homes[$0.customer]) } : result.assessments
            var rows = visible.filter { risk == nil || $0.band.rawValue == risk }
            rows.sort { ($0.risk, $1.customer) > ($1.risk, $0.customer) }
            let shown = limit > 0 ? Array(rows.prefix(limit)) : rows
            switch format {
            case .json:
                var w = JSONWriter()
                // One assessment a line, as the service and the 360 view write it.
                for a in shown {
                    w.write(a.json)
                    w.bytes.append(0x0A)
                }
                Output.write(w.bytes)
            case .csv:
                Output.csv(["customer", "band", "risk", "p_alive", "expected_purchases", "action", "reasons"])
                for a in shown {
                    Output.csv([a.customer, a.band.rawValue, Format.fixed(a.risk, 4), Format.fixed(a.probabilityAlive, 4), Format.fixed(a.expectedPurchases, 4),
                                a.action, a.reasons.joined(separator: "; ")])
                }
            case .table:
                if let fit = result.fit {
                    let p = fit.parameters
                    Output.line("BG/NBD over \(Format.grouped(fit.customerCount)) customers: r \(Format.fixed(p.r, 3)), α \(Format.fixed(p.alpha, 2)), a \(Format.fixed(p.a, 3)), b \(Format.fixed(p.b, 3))")
                    var counts: [ChurnRiskBand: Int] = [:]
                    for a in visible { counts[a.band, default: 0] += 1 }
                    let whose = principal.role == .clerk ? " among the customers of " + principal.stores.sorted().joined(separator: ", ") : ""
                    Output.line("high \(Format.grouped(counts[.high] ?? 0)) · medium \(Format.grouped(counts[.medium] ?? 0)) · low \(Format.grouped(counts[.low] ?? 0))" + whose)
                    Output.line("")
                }
                for a in shown {
                    // The action beside the risk when the line fits in 80 columns, under it otherwise.
                    let head = "\(a.customer)  \(a.band.rawValue) risk \(Int((a.risk * 100).rounded())) %"
                    if Terminal.columns(head) + 4 + Terminal.columns(a.action) <= 80 {
                        Output.line(head + "  → " + a.action)
                    } else {
                        Output.line(head)
                        for line in Terminal.wrap("→ " + a.action, columns: 76) { Output.line("    " + line) }
                    }
                    for r in a.reasons { for line in Terminal.wrap(r, columns: 76) { Output.line("    " + line) } }
                }
            }
        }
    }
}
