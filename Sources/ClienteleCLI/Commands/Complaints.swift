import Access
import ArgumentParser
import CustomerEvents
import Ledger
import LedgerJSON
import Projections

extension Clientele {
    /// `clientele complaints`: the complaint queue with its SLA clocks.
    struct Complaints: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show the complaint queue: open complaints by time left on their next SLA clock.",
            discussion: reflow("""
                Targets: respond 1 h, plan 4 h, close 24 h (business time, minus pauses while waiting
                on the customer); "due-soon" from 75 % of a target. The close clock runs until the
                complaint is closed after its callback; a reopening restarts it, and leaves the
                respond and plan clocks as the first round stopped them. In the table ("responded" for
                acknowledged), "^" after the status marks an escalated complaint, "!" an open one
                due an escalation (severe, high or critical
                by default, or past a target, and not escalated yet) and "*" one reopened before
                (the CSV and JSON say each).
                """))

        enum Status: String, ExpressibleByArgument { case open, closed, all }

        @OptionGroup var options: DatabaseOptions
        @OptionGroup var settings: ConfigOptions

        @Option(help: "open, closed or all.")
        var status: Status = .open

        @Flag(help: "Only complaints with a breached or missed clock.")
        var breached = false

        @Flag(help: "Only open complaints due an escalation: severe (high or critical, configurable) or past a target, and not escalated yet.")
        var escalationDue = false

        @Option(help: "Only complaints filed at this store (a clerk sees their own store(s)' only).")
        var store: String?

        @OptionGroup var asOf: AsOfOptions

        @Option(help: "Output: table, json (JSON Lines: one object a line) or csv.")
        var format: OutputFormat = .table

        func run() async throws {
            let principal = try options.authorize(.readReports, config: settings.path)
            if let store { do { try principal.authorize(store: store) } catch { throw CommandFailure("\(error)") } }
            let ledger = try CustomerLedger.open(path: options.db)
            defer { ledger.close() }
            let models = try ProjectionStore(ledger: ledger)
            defer { models.close() }
            let (snapshot, now) = try models.snapshot(ComplaintStatusProjector(), asOf: asOf.point(in: ledger.ledger))
            // As GET /v1/complaints: a clerk sees the complaints filed at their store(s).
            let records = snapshot.map(\.1).filter { r in (store == nil || r.store == store) && principal.mayAct(inStore: r.store) }
            let config = try settings.load(db: options.db).sla
            let rows = ComplaintQueue.rows(records, now: now, sla: config, status: ComplaintQueue.StatusFilter(rawValue: status.rawValue) ?? .open, breachedOnly: breached,
                                       escalationDueOnly: escalationDue)
            func left(_ c: SLAClock?) -> String {
                guard let c, let m = c.minutesLeft else { return "—" }
                let a = abs(m)
                let text = a >= 60 * 24 ? "\(a / 1440)d \(a % 1440 / 60)h" : a >= 60 ? "\(a / 60)h \(a % 60)m" : "\(a)m"
                return m < 0 ? "-" + text : text
            }
            switch format {
            case .json:
                var w = JSONWriter()
                for row in rows { w.write(row.json); w.bytes.append(0x0A) }
                Output.write(w.bytes)
            case .csv:
                Output.csv(["complaint", "customer", "store", "category", "severity", "status", "next_step", "state", "minutes_left", "escalated", "escalation_due", "reopened"])
                for row in rows {
                    Output.csv([row.record.complaint, row.record.customer, row.record.store, row.record.category, row.record.severity, row.record.status,
                                row.nextStep ?? "", row.next?.state.rawValue ?? "", row.next?.minutesLeft.map(String.init) ?? "",
                                row.record.escalated ? "yes" : "no", row.escalationDue ? "yes" : "no", String(row.record.reopened)])
                }
            case .table:
                var t = TextTable(header: ["complaint", "customer", "category", "severity", "status", "next", "clock", "left"], rightAligned: [7], truncatable: [2, 1, 0],
                                  cutInMiddle: [1, 0])
                for row in rows.prefix(200) {
                    let next = row.nextStep ?? "—"
                    // "awaiting" for "awaiting-customer" and "responded" for "acknowledged" (the
                    // first response, which stops the respond clock): with the marks after them,
                    // the statuses take at most 10 columns, and the table stays within 80.
                    var status = row.record.status == "awaiting-customer" ? "awaiting"
                        : row.record.status == "acknowledged" ? "responded" : row.record.status
                    // Marks in plain ASCII (an arrow is one column or two, by the terminal's
                    // locale). "^" and "!" never go together, nor "*" with "reopened" or
                    // "responded" (a reopened complaint is "reopened" until acted on).
                    if row.record.escalated { status += "^" }
                    if row.escalationDue { status += "!" }
                    if row.record.reopened > 0 && row.record.status != "reopened" { status += "*" }
                    t.rows.append([row.record.complaint, row.record.customer, row.record.category, row.record.severity,
                                   status, next, row.next?.state.rawValue ?? "done", left(row.next)])
                }
                Output.line(t.render())
                let shown = rows.prefix(200)
                let marks = [shown.contains { $0.record.escalated } ? "^ escalated" : nil,
                             shown.contains { $0.escalationDue } ? "! escalation due" : nil,
                             shown.contains { $0.record.reopened > 0 && $0.record.status != "reopened" } ? "* reopened before" : nil].compactMap { $0 }
                if !marks.isEmpty { Output.line(marks.joined(separator: " · ")) }
                if rows.count > 200 { Output.line("… and \(rows.count - 200) more (use --format csv for all)") }
            }
        }
    }
}
