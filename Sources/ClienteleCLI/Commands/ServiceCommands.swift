import Access
import ArgumentParser
import CustomerBase
import CustomerEvents
import Ledger
import LedgerJSON
import Projections

extension Clientele {
    /// A `--month` value, checked: YYYY-MM.
    static func month(_ text: String) throws -> String {
        guard ServiceReports.isMonth(text) else {
            throw ValidationError("'\(text)' is not a month: expected YYYY-MM, for example 2026-11")
        }
        return text
    }

    /// `clientele satisfaction`: CSAT and NPS by store, staff, complaint category or month.
    struct Satisfaction: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "CSAT (1–5) and NPS (−100…100) of callbacks, by store, staff member, complaint category or month.",
            discussion: reflow("""
                CSAT is shown as the average answer and as the share of answers of 4 or 5
                ("satisfied"); NPS is the share of promoters (9–10) less that of detractors (0–6).
                """))

        enum Dimension: String, ExpressibleByArgument { case store, staff, category, month }

        @OptionGroup var options: DatabaseOptions
        @Option(help: "Group by store, staff (who resolved the complaint a callback followed up; the caller for other callbacks), category or month.")
        var by: Dimension = .store
        @Option(help: "Only this month (YYYY-MM).", transform: Clientele.month) var month: String?
        @OptionGroup var asOf: AsOfOptions
        @Option(help: "Output: table, json (JSON Lines: one object a line) or csv.") var format: OutputFormat = .table

        func run() async throws {
            _ = try options.authorize(.readReports)
            let ledger = try CustomerLedger.open(path: options.db)
            defer { ledger.close() }
            let models = try ProjectionStore(ledger: ledger)
            defer { models.close() }
            // As GET /v1/reports/satisfaction: the callbacks and complaints the point includes.
            var complaints: [String: ComplaintRecord] = [:]
            let point = asOf.point(in: ledger.ledger)
            for (k, r) in try models.snapshot(ComplaintStatusProjector(), asOf: point).records { complaints[k] = r }
            let groups = try ServiceReports.satisfaction(ledger: ledger, complaints: complaints, by: by.rawValue, period: month, asOf: point)
            switch format {
            case .json:
                var w = JSONWriter()
                for (k, s) in groups { w.write(s.json(dimension: by.rawValue, key: k)); w.bytes.append(0x0A) }
                Output.write(w.bytes)
            case .csv:
                Output.csv([by.rawValue, "callbacks", "reached", "csat", "satisfied_share", "nps"])
                for (k, s) in groups {
                    Output.csv([k, String(s.callbacks), String(s.reached), s.csat.map { Format.fixed($0, 3) } ?? "",
                                s.satisfiedShare.map { Format.fixed($0, 3) } ?? "", s.nps.map { Format.fixed($0, 1) } ?? ""])
                }
            case .table:
                var t = TextTable(header: [by.rawValue, "callbacks", "reached", "CSAT", "satisfied", "NPS"], rightAligned: [1, 2, 3, 4, 5], truncatable: [0], cutInMiddle: [0])
                for (k, s) in groups {
                    t.rows.append([k, Format.grouped(s.callbacks), Format.grouped(s.reached), s.csat.map { Format.fixed($0, 2) } ?? "—",
                                   s.satisfiedShare.map { Format.fixed($0 * 100, 0) + " %" } ?? "—", s.nps.map { Format.fixed($0, 0) } ?? "—"])
                }
                Output.line(t.render())
            }
        }
    }

    /// `clientele staff`: each staff member's complaint handling, and the month's service star.
    struct Staff: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Staff KPIs: complaints handled, time to respond and resolve, SLA hit rate, satisfaction after callbacks; the service star.",
            discussion: reflow("""
                A complaint counts for everyone who took a step in it. The response time goes to who
                responded first; the resolve time and the callback's CSAT to who resolved it; the SLA
                hit rate is the share of the clocks (respond, plan, close, and the close of each round
                before a reopening) of the complaints they handled that were met, of those stopped
                or already past their target. Times are business minutes without pauses, as the SLA
                clocks count them. The service star ranks satisfaction (half), on-time handling and
                volume; only staff with a rated resolution are in the running. "filed" counts the
                complaints each took in (受理), "calls" the callbacks each made on them (回访).
                """))

        @OptionGroup var options: DatabaseOptions
        @OptionGroup var settings: ConfigOptions
        @Option(help: "Only complaints filed in this month (YYYY-MM).", transform: Clientele.month) var month: String?
        @OptionGroup var asOf: AsOfOptions
        @Option(help: "Output: table, json (JSON Lines: one object a line) or csv.") var format: OutputFormat = .table

        func run() async throws {
            _ = try options.authorize(.readReports, config: settings.path)
            let config = try settings.load(db: options.db)
            let ledger = try CustomerLedger.open(path: options.db)
            defer { ledger.close() }
            let models = try ProjectionStore(ledger: ledger)
            defer { models.close() }
            // As GET /v1/reports/staff: the complaint records of the point, their clocks at its moment.
            let (records, now) = try models.snapshot(ComplaintStatusProjector(), asOf: asOf.point(in: ledger.ledger))
            let staff = ServiceReports.staff(complaints: records.map(\.1), period: month, at: now.microseconds, sla: config.sla)
            let star = ServiceReports.serviceStar(of: staff)
            if format == .json {
                var w = JSONWriter()
                for p in staff { w.write(p.json(isServiceStar: p.staff == star)); w.bytes.append(0x0A) }
                Output.write(w.bytes)
                return
            }
            if format == .csv {
                Output.csv(["staff", "complaints_handled", "average_respond_minutes", "average_resolve_minutes", "sla_hit_rate", "csat", "service_star",
                            "complaints_filed", "callbacks_made"])
                for p in staff {
                    Output.csv([p.staff, String(p.complaintsHandled), p.averageRespondMinutes.map { Format.fixed($0, 1) } ?? "",
                                p.averageResolveMinutes.map { Format.fixed($0, 1) } ?? "", p.slaHitRate.map { Format.fixed($0, 3) } ?? "",
                                p.satisfaction.csat.map { Format.fixed($0, 2) } ?? "", p.staff == star ? "yes" : "",
                                String(p.complaintsFiled), String(p.callbacksMade)])
                }
                return
            }
            let of = month.map { " of \($0)" } ?? " of all months (--month YYYY-MM for one)"
            if let star {
                Output.line("Service star\(of): \(star)\n")
            } else if !staff.isEmpty {
                Output.line("No service star\(of): no callback rated a complaint one of them resolved.\n")
            }
            var t = TextTable(header: ["staff", "handled", "respond", "resolve", "on time", "CSAT", "filed", "calls"], rightAligned: [1, 2, 3, 4, 5, 6, 7],
                              truncatable: [0], cutInMiddle: [0])
            for p in staff {
                t.rows.append([p.staff, Format.grouped(p.complaintsHandled), p.averageRespondMinutes.map { Format.fixed($0, 0) + " m" } ?? "—",
                               p.averageResolveMinutes.map { Format.fixed($0 / 60, 1) + " h" } ?? "—",
                               p.slaHitRate.map { Format.fixed($0 * 100, 0) + " %" } ?? "—", p.satisfaction.csat.map { Format.fixed($0, 2) } ?? "—",
                               Format.grouped(p.complaintsFiled), Format.grouped(p.callbacksMade)])
            }
            Output.line(t.render())
        }
    }

    /// `clientele care-agenda`: who to greet, call back or win back this week.
    struct CareAgenda: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "care-agenda",
            abstract: "Birthdays in the coming week, callbacks due, win-back candidates — only customers whose consent allows the channel.",
            discussion: reflow("""
                The week starts today, or on the day of --as-of (a time in its own zone; for a sequence \
                number, the day that event was recorded), and is planned from the customers, consents and \
                complaints of that point. Birthdays are personal data: they are unsealed from the ledger \
                with the master key, and the read is recorded.
                """))

        @OptionGroup var options: DatabaseOptions
        @OptionGroup var keys: KeyOptions
        @OptionGroup var settings: ConfigOptions
        @OptionGroup var asOf: AsOfOptions
        @Option(help: "Output: table, json (JSON Lines: one object a line) or csv.") var format: OutputFormat = .table

        func run() async throws {
            let principal = try options.authorize(.readCustomers, config: settings.path)
            let config = try settings.load(db: options.db)
            let ledger = try CustomerLedger.open(path: options.db, masterKeyFile: keys.masterKeyFile)
            defer { ledger.close() }
            let models = try ProjectionStore(ledger: ledger)
            defer { models.close() }
            // As GET /v1/reports/care-agenda: the week from the point's day, planned from the state at that point.
            // A clerk's agenda holds the customers of their own store(s), as the service's does.
            let agenda = try models.careAgenda(asOf: asOf.point(in: ledger.ledger), configuration: config) { _, s in principal.mayAct(inStore: s.homeStore) }
            if let why = agenda.winBackUnavailable { Output.error("no win-back candidates: \(why)") }
            let sortedBirthdays = agenda.birthdays.map { ($0.customer, $0.day, $0.channel) }
            let sortedCallbacks = agenda.callbacks.map { ($0.customer, $0.complaint) }
            let winBack = agenda.winBack
            // The birthdays are personal data: shown only once their reading is on record.
            if !agenda.personalDataRead.isEmpty {
                let reading = PersonalDataAccess(actor: principal.actor, purpose: "care agenda", endpoint: "clientele care-agenda", fields: ["birthday"])
                do { try reading.record(agenda.personalDataRead.map { ($0, agenda.homeStores[$0] ?? Principal.unknownStore) }, in: ledger.ledger) } catch {
                    throw CommandFailure("the reading of the customers' birthdays could not be recorded, so the agenda is not shown: \(error)")
                }
            }
            switch format {
            case .json:
                var w = JSONWriter()
                for task in agenda.tasks { w.write(task); w.bytes.append(0x0A) }
                Output.write(w.bytes)
            case .csv:
                Output.csv(["task", "customer", "detail", "action"])
                for (c, day, channel) in sortedBirthdays { Output.csv(["birthday-greeting", c, day, channel]) }
                for (c, complaint) in sortedCallbacks { Output.csv(["callback", c, complaint, ""]) }
                for a in winBack { Output.csv(["win-back", a.customer, Format.fixed(a.risk, 4), a.action]) }
            case .table:
                printTables(now: agenda.start, birthdays: sortedBirthdays, callbacks: sortedCallbacks, winBack: Array(winBack))
            }
        }

        private func printTables(now: Timestamp, birthdays: [(String, String, String)], callbacks: [(String, String)], winBack: [ChurnAssessment]) {
            Output.line("Care agenda from \(now.iso8601.prefix(10))\n")
            var b = TextTable(header: ["birthday", "customer", "greet by"])
            b.rows = birthdays.map { [$0.1, $0.0, $0.2] }
            Output.line(b.rows.isEmpty ? "No birthdays this week among customers who accept marketing." : b.render())
            Output.line("")
            var c = TextTable(header: ["callback due", "complaint"])
            c.rows = callbacks.map { [$0.0, $0.1] }
            Output.line(c.rows.isEmpty ? "No callbacks due." : c.render())
            Output.line("")
            var w = TextTable(header: ["win back", "risk", "action"], rightAligned: [1])
            w.rows = winBack.map { [$0.customer, "\(Int(($0.risk * 100).rounded())) %", $0.action] }
            Output.line(w.rows.isEmpty ? "No high-risk customers who accept marketing." : w.render())
        }
    }
}
