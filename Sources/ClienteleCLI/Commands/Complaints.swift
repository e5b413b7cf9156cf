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
            discussion: """
                Targets: respond 1 h, plan 4 h, close 24 h (business time, minus pauses while waiting
                on the customer); "due-soon" from 75 % of a target. Reopened complaints restart the
                close clock.
                """)

        enum Status: String, ExpressibleByArgument { case open, closed, all }

        @OptionGroup var options: DatabaseOptions
        @OptionGroup var settings: ConfigOptions

        @Option(help: "open, closed or all.")
        var status: Status = .open

        @Flag(help: "Only complaints with a breached or missed clock.")
        var breached = false

        @OptionGroup var asOf: AsOfOptions

        @Option(help: "Output: table, json or csv.")
        var format: OutputFormat = .table

        func run() async throws {
            _ = try options.authorize(.readReports, config: settings.path)
            let ledger = try CustomerLedger.open(path: options.db)
            defer { ledger.close() }
            let models = try ProjectionStore(ledger: ledger)
            defer { models.close() }
            let (snapshot, now) = try models.snapshot(ComplaintStatusProjector(), asOf: asOf.point)
            let records = snapshot.map(\.1)
            let config = try settings.load().sla
            struct Row { let r: ComplaintRecord; let clocks: [SLAClock]; let next: SLAClock? }
            var rows: [Row] = records.compactMap { r in
                if status == .open && !r.isOpen { return nil }
                if status == .closed && r.isOpen { return nil }
                let clocks = ComplaintSLA.clocks(r, at: now.microseconds, configuration: config)
                if breached && !clocks.contains(where: { $0.state == .breached || $0.state == .missed }) { return nil }
                return Row(r: r, clocks: clocks, next: clocks.first { $0.minutesLeft != nil })
            }
            rows.sort { ($0.next?.minutesLeft ?? .max, $0.r.complaint) < ($1.next?.minutesLeft ?? .max, $1.r.complaint) }
            func left(_ c: SLAClock?) -> String {
                guard let c, let m = c.minutesLeft else { return "—" }
                let a = abs(m)
                let text = a >= 60 * 24 ? "\(a / 1440)d \(a % 1440 / 60)h" : a >= 60 ? "\(a / 60)h \(a % 60)m" : "\(a)m"
                return m < 0 ? "-" + text : text
            }
            switch format {
            case .json:
                var w = JSONWriter()
                for row in rows {
                    var m: [(String, JSONValue)] = [("complaint", .string(row.r.complaint)), ("customer", .string(row.r.customer)),
                                                    ("store", .string(row.r.store)), ("category", .string(row.r.category)),
                                                    ("severity", .string(row.r.severity)), ("status", .string(row.r.status)),
                                                    ("escalated", .bool(row.r.escalated)), ("reopened", .number(String(row.r.reopened)))]
                    m.append(("clocks", .array(row.clocks.map { c in
                        .object([("step", .string(c.step)), ("state", .string(c.state.rawValue)), ("usedMinutes", .number(String(c.usedMinutes))),
                                 ("targetMinutes", .number(String(c.targetMinutes)))] + (c.minutesLeft.map { [("minutesLeft", JSONValue.number(String($0)))] } ?? []))
                    })))
                    w.write(.object(m)); w.bytes.append(0x0A)
                }
                Output.write(w.bytes)
            case .csv:
                Output.line("complaint,customer,store,category,severity,status,next_step,state,minutes_left")
                for row in rows {
                    Output.line("\(row.r.complaint),\(row.r.customer),\(row.r.store),\(row.r.category),\(row.r.severity),\(row.r.status),\(row.next?.step ?? ""),\(row.next?.state.rawValue ?? ""),\(row.next?.minutesLeft.map(String.init) ?? "")")
                }
            case .table:
                var t = TextTable(header: ["complaint", "customer", "category", "sev", "status", "next", "clock", "left"], rightAligned: [7])
                for row in rows.prefix(200) {
                    t.rows.append([row.r.complaint, row.r.customer, String(row.r.category.prefix(16)), String(row.r.severity.prefix(4)),
                                   row.r.status, row.next?.step ?? "—", row.next?.state.rawValue ?? "done", left(row.next)])
                }
                Output.line(t.render())
                if rows.count > 200 { Output.line("… and \(rows.count - 200) more (use --format csv for all)") }
            }
        }
    }
}
