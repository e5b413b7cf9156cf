import CustomerBase
import Ledger
import LedgerJSON

/// JSON forms of the report values, shared by the CLI's `--format json` and the service.
extension JSONValue {
    /// A JSON number with `digits` decimals, rounded half away from zero (no Foundation formatting).
    public static func fixed(_ value: Double, _ digits: Int) -> JSONValue {
        guard value.isFinite else { return .null }
        var scale = 1.0
        for _ in 0..<digits { scale *= 10 }
        let scaled = (abs(value) * scale).rounded()
        guard scaled < 9e18 else { return .number(String(value)) }
        let n = Int64(scaled)
        let s = Int64(scale)
        var text = String(n / s)
        if digits > 0 {
            var frac = String(n % s)
            while frac.count < digits { frac = "0" + frac }
            text += "." + frac
        }
        return .number((value < 0 && n != 0 ? "-" : "") + text)
    }
}

extension StaffPerformance {
    /// One staff member's row, as the service's staff report lists it.
    public var json: JSONValue { json(isServiceStar: false) }

    /// One staff member's row, as `clientele staff --format json` writes it: the service star's
    /// says so (`"serviceStar": true`).
    public func json(isServiceStar: Bool) -> JSONValue {
        var m: [(String, JSONValue)] = [("staff", .string(staff)), ("complaintsHandled", .number(String(complaintsHandled))),
                                        ("complaintsFiled", .number(String(complaintsFiled))), ("callbacksMade", .number(String(callbacksMade)))]
        if let v = averageRespondMinutes { m.append(("averageRespondMinutes", .fixed(v, 1))) }
        if let v = averageResolveMinutes { m.append(("averageResolveMinutes", .fixed(v, 1))) }
        if let v = slaHitRate { m.append(("slaHitRate", .fixed(v, 3))) }
        if let v = satisfaction.csat { m.append(("csat", .fixed(v, 2))) }
        if isServiceStar { m.append(("serviceStar", .bool(true))) }
        return .object(m)
    }
}

extension SatisfactionScore {
    /// The group's row, keyed by `dimension`, as `clientele satisfaction --format json` writes it.
    public func json(dimension: String, key: String) -> JSONValue {
        var m: [(String, JSONValue)] = [(dimension, .string(key)), ("callbacks", .number(String(callbacks))), ("reached", .number(String(reached)))]
        if let c = csat { m.append(("csat", .fixed(c, 3))) }
        if let c = satisfiedShare { m.append(("satisfiedShare", .fixed(c, 3))) }
        if let n = nps { m.append(("nps", .fixed(n, 1))) }
        return .object(m)
    }
}

extension ChurnAssessment {
    /// The assessment as JSON: risk, band, probability alive, reasons and the suggested action.
    public var json: JSONValue {
        .object([("customer", .string(customer)), ("risk", .fixed(risk, 4)), ("band", .string(band.rawValue)),
                 ("probabilityAlive", .fixed(probabilityAlive, 4)), ("expectedPurchases", .fixed(expectedPurchases, 4)),
                 ("reasons", .array(reasons.map { .string($0) })), ("action", .string(action))])
    }
}

extension ComplaintQueue {
    /// The complaints of `store` with an SLA clock that broke during `date` (the store's local day,
    /// in the zone of its opening hours): breached then, or stopped late then. Each clock is read
    /// at the day's start and at its end (or at `now`, if sooner); a clock broken at the end and
    /// not at the start broke that day, wherever the complaint was filed. A clock's breach stays.
    public static func breached(_ records: some Sequence<ComplaintRecord>, store: String, date: String, now: Int64,
                                sla: SLAConfiguration) -> [String] {
        guard let midnight = Timestamp(iso8601: date + "T00:00:00Z") else { return [] }
        let zone = Int64((sla.hours[store] ?? sla.defaultHours).offsetMinutes) * 60_000_000
        let start = midnight.microseconds - zone, end = min(start + 86_400_000_000, now)
        guard end > start else { return [] }
        func broken(_ c: SLAClock) -> Bool { c.state == .breached || c.state == .missed }
        var breached: [String] = []
        for r in records where r.store == store && r.filedAt < end {
            // Closed before the day began: every clock had stopped, as it stood then.
            if let closed = r.closedAt, closed < start { continue }
            let before = ComplaintSLA.clocks(r, at: start, configuration: sla), after = ComplaintSLA.clocks(r, at: end, configuration: sla)
            if zip(before, after).contains(where: { !broken($0) && broken($1) }) { breached.append(r.complaint) }
        }
        return breached.sorted()
    }
}

extension ProjectionStore {
    /// The daily report's breached complaints (`ComplaintQueue.breached`): live, or as of `point` —
    /// the complaints as the ledger held them then, judged no later than that moment.
    public func breachedComplaints(store: String, date: String, asOf point: AsOf?, sla: SLAConfiguration,
                                   catchingUp: Bool = true) throws -> [String] {
        if let point {
            let records = try fold(ComplaintStatusProjector(), asOf: point)
            return ComplaintQueue.breached(records.values, store: store, date: date, now: try moment(of: point).microseconds, sla: sla)
        }
        var records: [ComplaintRecord] = []
        if catchingUp { try catchUp(ComplaintStatusProjector()) }
        try storedRecords(ComplaintStatusProjector()) { _, r in
            if r.store == store { records.append(r) }
            return true
        }
        return ComplaintQueue.breached(records, store: store, date: date, now: Timestamp.now().microseconds, sla: sla)
    }
}
