import Access
import ArgumentParser
import CustomerEvents
import Ledger
import LedgerJSON
import Projections

extension Clientele {
    /// `clientele report`: the reports a store manager reads.
    struct Report: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Reports for store managers.",
            subcommands: [Daily.self])

        /// `clientele report daily`: one store's day.
        struct Daily: AsyncParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: "One store's day: visits, purchases, returns and reasons, complaints opened / closed / breached, callbacks.")

            @OptionGroup var options: DatabaseOptions
            @OptionGroup var settings: ConfigOptions

            @Option(help: "The store.", transform: CanonicalText.normalized)
            var store: String

            @Option(help: "The day, YYYY-MM-DD (the store's local date).")
            var date: String

            @OptionGroup var asOf: AsOfOptions

            @Option(help: "Output: table or json.")
            var format: OutputFormat = .table

            func validate() throws {
                guard date.count == 10, Timestamp(iso8601: date + "T00:00:00Z") != nil else { throw ValidationError("--date must be YYYY-MM-DD") }
            }

            func run() async throws {
                _ = try options.authorize(.readReports, config: settings.path)
                let ledger = try CustomerLedger.open(path: options.db)
                defer { ledger.close() }
                let models = try ProjectionStore(ledger: ledger)
                defer { models.close() }
                // As GET /v1/reports/daily: the day as folded by the point, or the live model.
                let day = try models.dailySummary(store: store, date: date, asOf: asOf.point)
                // Breaches: the day's complaints whose clocks broke by the end of that day (or by the point / now, if sooner).
                let config = try settings.load().sla
                let breached = try models.breachedComplaints(day.openedComplaints, store: store, date: date, asOf: asOf.point, sla: config)
                let currency = day.currency ?? "CNY"
                if format == .json {
                    var json = day.json
                    if case .object(var m) = json { m.append(("breachedComplaints", .array(breached.map { .string($0) }))); json = .object(m) }
                    var w = JSONWriter(); w.write(.object([("store", .string(store)), ("date", .string(date)), ("summary", json)])); w.bytes.append(0x0A)
                    Output.write(w.bytes)
                    return
                }
                var t = TextTable(header: ["\(store) · \(date)", ""], rightAligned: [1])
                t.rows = [
                    ["visits", Format.grouped(day.visits)],
                    ["new customers", Format.grouped(day.newCustomers)],
                    ["purchases", Format.grouped(day.purchases)],
                    ["revenue", Money(minor: day.revenue, currency: currency).description],
                    ["returns", "\(day.returns) (\(Money(minor: day.refunded, currency: currency)))"],
                    ["complaints opened", Format.grouped(day.complaintsOpened)],
                    ["complaints closed", Format.grouped(day.complaintsClosed)],
                    ["complaints breached", Format.grouped(breached.count)],
                    ["callbacks", Format.grouped(day.callbacks) + (day.csat.map { ", CSAT \(Format.fixed($0, 1))" } ?? "")],
                ]
                Output.line(t.render())
                if !day.returnReasons.isEmpty {
                    var r = TextTable(header: ["return reason", "returns"], rightAligned: [1])
                    r.rows = day.returnReasons.sorted { ($1.value, $0.key) < ($0.value, $1.key) }.map { [$0.key, String($0.value)] }
                    Output.line(""); Output.line(r.render())
                }
                if !day.complaintCategories.isEmpty {
                    var c = TextTable(header: ["top complaint categories", "complaints"], rightAligned: [1])
                    c.rows = day.complaintCategories.sorted { ($1.value, $0.key) < ($0.value, $1.key) }.map { [$0.key, String($0.value)] }
                    Output.line(""); Output.line(c.render())
                }
            }
        }
    }
}
