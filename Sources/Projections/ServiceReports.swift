import CustomerEvents
import Ledger
import LedgerJSON

/// CSAT and NPS for one group (a store, a staff member, a complaint category, a month).
public struct SatisfactionScore: Sendable, Equatable {
    public var callbacks = 0
    public var reached = 0
    public var csatSum: Int64 = 0
    public var csatCount = 0
    /// CSAT answers of 4 or 5.
    public var satisfied = 0
    public var promoters = 0, passives = 0, detractors = 0

    public init() {}

    /// Average CSAT 1–5.
    public var csat: Double? { csatCount > 0 ? Double(csatSum) / Double(csatCount) : nil }
    /// The share of CSAT answers that were 4 or 5 ("satisfied" or better): the CSAT % most
    /// dashboards quote, beside the average.
    public var satisfiedShare: Double? { csatCount > 0 ? Double(satisfied) / Double(csatCount) : nil }
    /// Net Promoter Score: % promoters (9–10) minus % detractors (0–6), −100…100.
    public var nps: Double? {
        let n = promoters + passives + detractors
        return n > 0 ? 100 * Double(promoters - detractors) / Double(n) : nil
    }

    mutating func add(_ payload: JSONValue) {
        callbacks += 1
        if payload["reached"] == .bool(true) { reached += 1 }
        if let c = payload["csat"]?.int64Value {
            csatSum += c
            csatCount += 1
            if c >= 4 { satisfied += 1 }
        }
        if let n = payload["nps"]?.int64Value {
            if n >= 9 { promoters += 1 } else if n >= 7 { passives += 1 } else { detractors += 1 }
        }
    }
}

/// One staff member's service record (绩效考核) over a period.
/// Each complaint counts for every staff member who took a step in it; its parts go to whom
/// they are owed: the response time to who responded first, the resolve time and the callback's
/// CSAT to who resolved it, and the SLA clocks to everyone who handled it (a team's result). Times
/// are business minutes, without pauses while waiting on the customer, as the SLA clocks count.
/// Filing a complaint (受理) and calling the customer back (回访) are counted apart: the clerk who
/// took a complaint in and the care agent who made its callbacks are on the record too.
public struct StaffPerformance: Sendable, Equatable {
    public var staff: String
    public var complaintsHandled = 0
    /// Complaints they filed, and callbacks they made on complaints (of the period's complaints).
    public var complaintsFiled = 0, callbacksMade = 0
    public var respondMinutesTotal = 0, respondCount = 0
    public var resolveMinutesTotal = 0, resolveCount = 0
    /// The SLA clocks judged of the complaints handled (stopped, or past their target), and how
    /// many of them were met.
    public var clocksStopped = 0, clocksMet = 0
    public var satisfaction = SatisfactionScore()

    public init(staff: String) { self.staff = staff }

    public var averageRespondMinutes: Double? { respondCount > 0 ? Double(respondMinutesTotal) / Double(respondCount) : nil }
    public var averageResolveMinutes: Double? { resolveCount > 0 ? Double(resolveMinutesTotal) / Double(resolveCount) : nil }
    /// Share of the judged SLA clocks (respond, plan, close, earlier rounds' close) of the
    /// complaints handled that met their target.
    public var slaHitRate: Double? { clocksStopped > 0 ? Double(clocksMet) / Double(clocksStopped) : nil }

    /// The month's "service star" (服务之星) ranks by this: satisfaction, on-time handling and
    /// volume together. Nil (not in the running) without a callback's CSAT for a complaint they resolved.
    public var starScore: Double? {
        guard let csat = satisfaction.csat else { return nil }
        let onTime = slaHitRate ?? 0
        let volume = min(1, Double(complaintsHandled) / 10)
        return 0.5 * csat / 5 + 0.3 * onTime + 0.2 * volume
    }
}

/// Reports read from the events and the complaint records at a moment.
public enum ServiceReports {
    /// The month (`YYYY-MM`) of a moment, in its own zone.
    public static func month(_ t: Timestamp) -> String { String(t.iso8601.prefix(7)) }

    /// True when `text` names a month as the reports take it: `YYYY-MM`.
    public static func isMonth(_ text: String) -> Bool {
        text.utf8.count == 7 && Timestamp(iso8601: text + "-01T00:00:00Z") != nil
    }

    /// CSAT and NPS of callbacks grouped by `dimension` (store, staff, category, month),
    /// optionally only in `period` (`YYYY-MM`).
    public static func satisfaction(ledger: CustomerLedger, complaints: [String: ComplaintRecord], by dimension: String,
                                    period: String? = nil, asOf point: AsOf? = nil) throws -> [(String, SatisfactionScore)] {
        var groups: [String: SatisfactionScore] = [:]
        try ledger.scan(EventQuery(.type("CallbackLogged"), sequences: point?.sequences ?? 1...UInt64.max)) { e in
            let at = e.recorded.occurredAt
            if let point, !point.includes(sequence: e.recorded.sequence, occurredAt: at) { return true }
            if let period, month(at) != period { return true }
            let key: String
            switch dimension {
            // A complaint's callback rates its resolution: whoever resolved it (as the staff KPIs count it).
            case "staff": key = e.payload["complaint"]?.stringValue.flatMap { complaints[$0]?.resolver(at: at.microseconds) } ?? e.recorded.actor
            case "category":
                // A complaint not filed (yet, at this point) has no category: "other" is a category of its own.
                if let id = e.payload["complaint"]?.stringValue, let r = complaints[id], r.isFiled { key = r.category }
                else { key = e.payload["complaint"] == nil ? "(not a complaint)" : "(complaint not filed)" }
            case "month": key = month(at)
            default: key = e.recorded.store
            }
            groups[key, default: SatisfactionScore()].add(e.payload)
            return true
        }
        return groups.sorted { $0.key < $1.key }
    }

    /// The month's service star among `ranked` (as `staff` ranks them): the first in the running,
    /// nil when nobody has a rated resolution.
    public static func serviceStar(of ranked: [StaffPerformance]) -> String? {
        ranked.first { $0.starScore != nil }?.staff
    }

    /// Each staff member's record over complaints filed in `period` (all when nil), ranked: the
    /// service star first, then the others in the running, then those not in it (by name).
    public static func staff(complaints: [ComplaintRecord], period: String?, at now: Int64, sla: SLAConfiguration) -> [StaffPerformance] {
        var out: [String: StaffPerformance] = [:]
        for r in complaints where r.isFiled {
            let hours = sla.hours[r.store] ?? sla.defaultHours
            if let period, month(Timestamp(microseconds: r.filedAt, offsetMinutes: Int16(hours.offsetMinutes))) != period { continue }
            let clocks = ComplaintSLA.clocks(r, at: now, configuration: sla)
            // The clocks judged: stopped (met or missed), or past their target while running (they
            // can no longer be met: leaving a complaint unfinished is no way to keep a hit rate).
            let stopped = clocks.filter { $0.state == .met || $0.state == .missed || $0.state == .breached }
            if let by = r.filedBy { out[by, default: StaffPerformance(staff: by)].complaintsFiled += 1 }
            for c in r.callbacks where c.at <= now { out[c.by, default: StaffPerformance(staff: c.by)].callbacksMade += 1 }
            for (i, staff) in r.handlers.enumerated() {
                var p = out[staff] ?? StaffPerformance(staff: staff)
                p.complaintsHandled += 1
                p.clocksStopped += stopped.count
                p.clocksMet += stopped.filter { $0.state == .met }.count
                if i == 0, stopped.contains(where: { $0.step == "respond" }) {
                    p.respondCount += 1
                    p.respondMinutesTotal += clocks[0].usedMinutes
                }
                out[staff] = p
            }
            // Each resolution, in whichever round: its resolve time to who recorded it; each
            // callback's CSAT to the resolution it followed.
            let pauses = r.pauses
            for (k, resolved) in r.resolutions.enumerated() where resolved <= now {
                let by = r.resolvers[k]
                var p = out[by] ?? StaffPerformance(staff: by)
                p.resolveCount += 1
                p.resolveMinutesTotal += ComplaintSLA.businessMinutes(from: r.roundStart(at: resolved), to: resolved, hours: hours, pauses: pauses)
                out[by] = p
            }
            for rating in r.ratings where rating.at <= now {
                guard let by = r.resolver(at: rating.at) else { continue }
                var p = out[by] ?? StaffPerformance(staff: by)
                p.satisfaction.csatSum += rating.csat
                p.satisfaction.csatCount += 1
                if rating.csat >= 4 { p.satisfaction.satisfied += 1 }
                out[by] = p
            }
        }
        return out.values.sorted {
            switch ($0.starScore, $1.starScore) {
            case let (a?, b?): return a != b ? a > b : $0.staff < $1.staff
            case (.some, nil): return true
            case (nil, .some): return false
            case (nil, nil): return $0.staff < $1.staff
            }
        }
    }
}
