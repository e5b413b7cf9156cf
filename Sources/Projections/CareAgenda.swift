import CustomerEvents
import Ledger
import LedgerJSON

/// The care agenda: birthdays in the coming week, callbacks due, win-back candidates — only
/// customers whose marketing consent allows a channel.
public struct CareAgenda: Sendable {
    /// A birthday greeting to send: customer, "MM-DD", channel.
    public struct Birthday: Sendable { public let customer: String; public let day: String; public let channel: String }
    /// A callback due on a resolved complaint.
    public struct Callback: Sendable { public let customer: String; public let complaint: String }

    /// The day the week starts (see `ProjectionStore.careAgendaStart(asOf:configuration:)`).
    public var start: Timestamp
    public var birthdays: [Birthday] = []
    public var callbacks: [Callback] = []
    public var winBack: [ChurnAssessment] = []
    /// Customers whose personal data (birthday) was read to build it: each read must be recorded.
    public var personalDataRead: [String] = []
    /// Why there are no win-back candidates when the churn model could not be fitted.
    public var winBackUnavailable: String?
    /// The summaries it was built from (for the home store of each access).
    public var homeStores: [String: String] = [:]

    /// Every task as JSON lines' objects (`task`, `customer`, …).
    public var tasks: [JSONValue] {
        birthdays.map { .object([("task", .string("birthday-greeting")), ("customer", .string($0.customer)), ("birthday", .string($0.day)), ("channel", .string($0.channel))]) }
            + callbacks.map { .object([("task", .string("callback")), ("customer", .string($0.customer)), ("complaint", .string($0.complaint))]) }
            + winBack.map { .object([("task", .string("win-back")), ("customer", .string($0.customer)), ("risk", .number(String(Double(Int(($0.risk * 10_000).rounded())) / 10_000))), ("action", .string($0.action))]) }
    }
}

extension ProjectionStore {
    /// The day a care agenda as of `point` starts its week: a time as given, in its own zone;
    /// otherwise now, or when event N was recorded, in the stores' default zone.
    public func careAgendaStart(asOf point: AsOf?, configuration config: ClienteleConfiguration) throws -> Timestamp {
        var start = try point.map { try moment(of: $0) } ?? Timestamp.now()
        if case .time? = point {} else { start.offsetMinutes = Int16(config.sla.defaultHours.offsetMinutes) }
        return start
    }

    /// The care agenda of the week from `now`, keeping only customers `include` accepts. The CLI's
    /// `care-agenda` and the service's `GET /v1/reports/care-agenda` both ask it.
    /// - Parameters:
    ///   - point: plan from what the ledger held at this point (`AsOf`): the customers, consents,
    ///     birthdays and complaints folded in memory from the events it includes; nil for the live models.
    ///   - now: the day the week starts, in its own zone; by default `careAgendaStart(asOf:configuration:)`.
    /// - Complexity: O(customers + registrations and profile updates + complaints), plus fitting the
    ///   churn model; with a point, plus a scan of the log up to it.
    public func careAgenda(asOf point: AsOf? = nil, now: Timestamp? = nil, configuration config: ClienteleConfiguration,
                           include: (String, CustomerSummary) -> Bool = { _, _ in true }) throws -> CareAgenda {
        let now = try now ?? careAgendaStart(asOf: point, configuration: config)
        var summaries: [String: CustomerSummary] = [:]
        var complaints: [ComplaintRecord] = []
        if let point {
            summaries = try fold(CustomerSummaryProjector(), asOf: point)
            complaints = Array(try fold(ComplaintStatusProjector(), asOf: point).values)
        } else {
            try records(CustomerSummaryProjector()) { k, s in summaries[k] = s; return true }
            try records(ComplaintStatusProjector()) { _, r in complaints.append(r); return true }
        }
        // Merged records are the person they were merged into: one entry, the group's history.
        let merges = try merges(asOf: point)
        if !merges.isEmpty {
            for (k, s) in try merges.summaries(asOf: point, in: ledger) { summaries[k] = s }
            for k in merges.survivors.keys { summaries[k] = nil }
            for i in complaints.indices { complaints[i].customer = merges.survivor(of: complaints[i].customer) }
        }
        var agenda = CareAgenda(start: now)
        let today = Timestamp.civil(fromDays: (now.microseconds + Int64(now.offsetMinutes) * 60_000_000) / 86_400_000_000)
        // The week's days ("MM-DD") by their place in it: greetings are listed in that order (a
        // week from 28 December lists 1 January last).
        var week: [String: Int] = [:]
        for d in 0..<7 {
            let (y, m, dd) = Timestamp.civil(fromDays: Timestamp.daysFromCivil(year: today.year, month: today.month, day: today.day) + Int64(d))
            week["\(m < 10 ? "0" : "")\(m)-\(dd < 10 ? "0" : "")\(dd)"] = d
            // Outside leap years, those born on 29 February are greeted on the 28th.
            let leap = y % 4 == 0 && (y % 100 != 0 || y % 400 == 0)
            if m == 2 && dd == 28 && !leap { week["02-29"] = d }
        }
        // Birthdays: unsealed from registrations and profile updates, for customers who may be contacted.
        var birthdays: [String: CareAgenda.Birthday] = [:]
        for type in ["CustomerRegistered", "CustomerProfileUpdated"] {
            // Only customers who may be contacted are unsealed (decrypting every registration
            // was most of the agenda's time on a large ledger).
            let contactable = { (c: String) -> Bool in
                guard let s = summaries[c] else { return false }
                return !s.erased && !s.marketingChannels.isEmpty && include(c, s)
            }
            try ledger.scan(EventQuery(.type(type), sequences: point?.sequences ?? 1...UInt64.max), customers: contactable) { e in
                if let point, !point.includes(sequence: e.recorded.sequence, occurredAt: e.recorded.occurredAt) { return true }
                let c = e.recorded.customer
                guard let s = summaries[c], let channel = s.marketingChannels.first, let given = e.payload["birthday"] else { return true }
                // The latest registration or update that gives a birthday decides (a correction
                // moves the greeting, or takes it out of the week).
                guard let b = given.stringValue, b.count == 10, week[String(b.suffix(5))] != nil else {
                    birthdays[c] = nil
                    return true
                }
                birthdays[c] = CareAgenda.Birthday(customer: c, day: String(b.suffix(5)), channel: channel == "*" ? "sms" : channel)
                return true
            }
        }
        agenda.birthdays = birthdays.values.sorted { (week[$0.day] ?? 7, $0.day, $0.customer) < (week[$1.day] ?? 7, $1.day, $1.customer) }
        // The birthdays shown are the personal data read (on record before they are shown).
        let read = Set(birthdays.keys)
        agenda.personalDataRead = read.sorted()
        for r in complaints {
            // Resolved and not called back since (回访); never an erased customer.
            if r.isFiled, r.callbackDue, let s = summaries[r.customer] ?? Optional(CustomerSummary()), !s.erased, include(r.customer, s) {
                agenda.callbacks.append(CareAgenda.Callback(customer: r.customer, complaint: r.complaint))
            }
        }
        agenda.callbacks.sort { $0.complaint < $1.complaint }
        // Win-back candidates need the churn model; a ledger too small to fit it still gets its agenda.
        do {
            let assessments = try ChurnModel.assess(summaries.map { ($0.key, $0.value) }, now: now, configuration: config).assessments
            agenda.winBack = Array(assessments.filter {
                guard let s = summaries[$0.customer] else { return false }
                return $0.band == .high && !s.marketingChannels.isEmpty && include($0.customer, s)
            }.sorted { $0.risk != $1.risk ? $0.risk > $1.risk : $0.customer < $1.customer }.prefix(50)) // ties by id: the same agenda every time
        } catch {
            agenda.winBackUnavailable = "the churn model cannot be fitted on this ledger yet (\(error))"
        }
        for c in read { agenda.homeStores[c] = summaries[c]?.homeStore }
        return agenda
    }
}
