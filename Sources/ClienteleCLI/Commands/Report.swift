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
                abstract: "One store's day: visits, purchases, returns and reasons, complaints opened / closed / breached, callbacks.",
                discussion: reflow("""
                    A complaint counts as breached on the day one of its SLA clocks broke (passed its
                    target while running, or stopped late), whichever day it was filed. Sales and
                    refunds in more than one currency are shown per currency, never summed: the
                    day's main currency (the one of most of its sales) first.
                    """))

            @OptionGroup var options: DatabaseOptions
            @OptionGroup var settings: ConfigOptions

            @Option(help: "The store.", transform: CanonicalText.normalized)
            var store: String

            @Option(name: .customLong("date"), help: ArgumentHelp(
                "The day, YYYY-MM-DD (the store's local date; default: today there, or the day of a --as-of time).", valueName: "date"))
            var dateText: String?

            @OptionGroup var asOf: AsOfOptions

            @Option(help: "Output: table, json or csv (one figure a record: store, date, measure, item, value).")
            var format: OutputFormat = .table

            func validate() throws {
                if let dateText {
                    guard dateText.count == 10, Timestamp(iso8601: dateText + "T00:00:00Z") != nil else { throw ValidationError("--date must be YYYY-MM-DD") }
                }
            }

            /// The day asked for, or the store's today (in the UTC offset of its opening hours in
            /// the configuration, +08:00 unless set), or the local day of a --as-of time there.
            func day(sla: SLAConfiguration) -> String {
                if let dateText { return dateText }
                var at = Timestamp.now().microseconds
                if case .time(let t)? = asOf.point { at = t.microseconds }
                return sla.localDate(store: store, at: at)
            }

            func run() async throws {
                let principal = try options.authorize(.readReports, config: settings.path)
                do { try principal.authorize(store: store) } catch { throw CommandFailure("\(error)") }
                let ledger = try CustomerLedger.open(path: options.db)
                defer { ledger.close() }
                if let refusal = try ReportedStores.refusal(of: store, in: ledger.ledger, named: "the ledger at \(options.db)") {
                    throw CommandFailure(refusal)
                }
                let models = try ProjectionStore(ledger: ledger)
                defer { models.close() }
                let config = try settings.load(db: options.db).sla
                let date = day(sla: config)
                // As GET /v1/reports/daily: the day as folded by the point, or the live model.
                let point = asOf.point(in: ledger.ledger)
                let day = try models.dailySummary(store: store, date: date, asOf: point)
                // Breaches: the day's complaints whose clocks broke by the end of that day (or by the point / now, if sooner).
                let breached = try models.breachedComplaints(store: store, date: date, asOf: point, sla: config)
                let takings = day.takings(fallback: "CNY")
                if format == .json {
                    var json = day.json
                    if case .object(var m) = json { m.append(("breachedComplaints", .array(breached.map { .string($0) }))); json = .object(m) }
                    var w = JSONWriter(); w.write(.object([("store", .string(store)), ("date", .string(date)), ("summary", json)])); w.bytes.append(0x0A)
                    Output.write(w.bytes)
                    return
                }
                // Most returns and complaints first, then by name (as the tables list them).
                let reasons = day.returnReasons.sorted { ($1.value, $0.key) < ($0.value, $1.key) }
                let categories = day.complaintCategories.sorted { ($1.value, $0.key) < ($0.value, $1.key) }
                if format == .csv {
                    // Long form, for a spreadsheet or pandas to pivot: money in minor units, its
                    // currency as the item; reasons, categories and breached complaints one a record.
                    Output.csv(["store", "date", "measure", "item", "value"])
                    func figure(_ measure: String, _ value: String, item: String = "") { Output.csv([store, date, measure, item, value]) }
                    figure("visits", String(day.visits))
                    figure("new_customers", String(day.newCustomers))
                    figure("purchases", String(day.purchases))
                    for (currency, t) in takings { figure("revenue_minor", String(t.revenue), item: currency) }
                    figure("returns", String(day.returns))
                    for (currency, t) in takings { figure("refunded_minor", String(t.refunded), item: currency) }
                    for (reason, n) in reasons { figure("returns_by_reason", String(n), item: reason) }
                    figure("complaints_opened", String(day.complaintsOpened))
                    figure("complaints_closed", String(day.complaintsClosed))
                    figure("complaints_breached", String(breached.count))
                    for id in breached { figure("breached_complaint", "1", item: id) }
                    for (category, n) in categories { figure("complaints_by_category", String(n), item: category) }
                    figure("callbacks", String(day.callbacks))
                    figure("callbacks_reached", String(day.callbacksReached))
                    if let csat = day.csat { figure("csat", Format.fixed(csat, 2)) }
                    return
                }
                var t = TextTable(header: ["\(store) · \(date)", ""], rightAligned: [1])
                t.rows = [
                    ["visits", Format.grouped(day.visits)],
                    ["new customers", Format.grouped(day.newCustomers)],
                    ["purchases", Format.grouped(day.purchases)],
                    ["revenue", takings.map { Money(minor: $0.takings.revenue, currency: $0.currency).description }.joined(separator: " + ")],
                    ["returns", "\(day.returns) (\(takings.map { Money(minor: $0.takings.refunded, currency: $0.currency).description }.joined(separator: " + ")))"],
                    ["complaints opened", Format.grouped(day.complaintsOpened)],
                    ["complaints closed", Format.grouped(day.complaintsClosed)],
                    ["complaints breached", Format.grouped(breached.count)],
                    ["callbacks", Format.grouped(day.callbacks) + " (\(Format.grouped(day.callbacksReached)) reached)" + (day.csat.map { ", CSAT \(Format.fixed($0, 1))" } ?? "")],
                ]
                Output.line(t.render())
                if !reasons.isEmpty {
                    var r = TextTable(header: ["return reason", "returns"], rightAligned: [1])
                    r.rows = reasons.map { [$0.key, String($0.value)] }
                    Output.line(""); Output.line(r.render())
                }
                if !categories.isEmpty {
                    var c = TextTable(header: ["top complaint categories", "complaints"], rightAligned: [1])
                    c.rows = categories.map { [$0.key, String($0.value)] }
                    Output.line(""); Output.line(c.render())
                }
            }
        }
    }
}
