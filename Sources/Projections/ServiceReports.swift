import CustomerEvents
import Ledger
import LedgerJSON

/// CSAT and NPS for one group (a store, a staff member, a complaint category, a month).
public struct SatisfactionScore: Sendable, Equatable {
    public var callbacks = 0
    public var reached = 0
    public var csatSum: Int64 = 0
    public var csatCount = 0
    public var promoters = 0, passives = 0, detractors = 0

    public init() {}

    /// Average CSAT 1–5.
    public var csat: Double? { csatCount > 0 ? Double(csatSum) / Double(csatCount) : nil }
    /// Net Promoter Score: % promoters (9–10) minus % detractors (0–6), −100…100.
    public var nps: Double? {
        let n = promoters + passives + detractors
        return n > 0 ? 100 * Double(promoters - detractors) / Double(n) : nil
    }

    mutating func add(_ payload: JSONValue) {
        callbacks += 1
        if payload["reached"] == .bool(true) { reached += 1 }
        if let c = payload["csat"]?.int64Value { csatSum += c; csatCount += 1 }
        if let n = payload["nps"]?.int64Value {
            if n >= 9 { promoters += 1 } else if n >= 7 { passives += 1 } else { detractors += 1 }
        }
    }
}

/// One staff member's service record (绩效考核) over a period.
public struct StaffPerformance: Sendable, Equatable {
    public var staff: String
    public var complaintsHandled = 0
    public var respondMinutesTotal = 0, respondCount = 0
    public var resolveMinutesTotal = 0, resolveCount = 0
    public var respondOnTime = 0
    public var satisfaction = SatisfactionScore()

    public init(staff: String) { self.staff = staff }

    public var averageRespondMinutes: Double? { respondCount > 0 ? Double(respondMinutesTotal) / Double(respondCount) : nil }
    public var averageResolveMinutes: Double? { resolveCount > 0 ? Double(resolveMinutesTotal) / Double(resolveCount) : nil }
    /// Share of handled complaints whose first response met its target.
    public var slaHitRate: Double? { respondCount > 0 ? Double(respondOnTime) / Double(respondCount) : nil }

    /// The month's "service star" (服务之星) ranks by this: satisfaction, on-time responses and volume together.
    public var starScore: Double {
        let csat = (satisfaction.csat ?? 3) / 5
        let onTime = slaHitRate ?? 0
        let volume = min(1, Double(complaintsHandled) / 10)
        return 0.5 * csat + 0.3 * onTime + 0.2 * volume
    }
}

/// Reports read from the events and the complaint records at a moment.
public enum ServiceReports {
    /// The month (`YYYY-MM`) of a moment, in its own zone.
    public static func month(_ t: Timestamp) -> String { String(t.iso8601.prefix(7)) }

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
            case "staff": key = e.recorded.actor
            case "category": key = e.payload["complaint"]?.stringValue.flatMap { complaints[$0]?.category } ?? "(not a complaint)"
            case "month": key = month(at)
            default: key = e.recorded.store
            }
            groups[key, default: SatisfactionScore()].add(e.payload)
            return true
        }
        return groups.sorted { $0.key < $1.key }
    }

    /// Each staff member's record over complaints filed in `period` (all when nil).
    public static func staff(complaints: [ComplaintRecord], period: String?, at now: Int64, sla: SLAConfiguration) -> [StaffPerformance] {
        var out: [String: StaffPerformance] = [:]
        for r in complaints {
            if let period, month(Timestamp(microseconds: r.filedAt, offsetMinutes: Int16((sla.hours[r.store] ?? sla.defaultHours).offsetMinutes))) != period { continue }
            let clocks = ComplaintSLA.clocks(r, at: now, configuration: sla)
            for (i, staff) in r.handlers.enumerated() {
                var p = out[staff] ?? StaffPerformance(staff: staff)
                p.complaintsHandled += 1
                if i == 0, r.acknowledgedAt != nil {
                    p.respondCount += 1
                    p.respondMinutesTotal += clocks[0].usedMinutes
                    if clocks[0].state == .met { p.respondOnTime += 1 }
                }
                if let resolved = r.resolvedAt {
                    p.resolveCount += 1
                    p.resolveMinutesTotal += Int((resolved - r.roundStartedAt) / 60_000_000)
                }
                if let csat = r.callbackCSAT {
                    p.satisfaction.csatSum += csat
                    p.satisfaction.csatCount += 1
                }
                out[staff] = p
            }
        }
        return out.values.sorted { ($0.starScore, $1.staff) > ($1.starScore, $0.staff) }
    }
}
