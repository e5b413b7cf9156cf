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
    /// One staff member's row, as `clientele staff --format json` writes it.
    public var json: JSONValue {
        var m: [(String, JSONValue)] = [("staff", .string(staff)), ("complaintsHandled", .number(String(complaintsHandled)))]
        if let v = averageRespondMinutes { m.append(("averageRespondMinutes", .fixed(v, 1))) }
        if let v = averageResolveMinutes { m.append(("averageResolveMinutes", .fixed(v, 1))) }
        if let v = slaHitRate { m.append(("slaHitRate", .fixed(v, 3))) }
        if let v = satisfaction.csat { m.append(("csat", .fixed(v, 2))) }
        return .object(m)
    }
}

extension SatisfactionScore {
    /// The group's row, keyed by `dimension`, as `clientele satisfaction --format json` writes it.
    public func json(dimension: String, key: String) -> JSONValue {
        var m: [(String, JSONValue)] = [(dimension, .string(key)), ("callbacks", .number(String(callbacks))), ("reached", .number(String(reached)))]
        if let c = csat { m.append(("csat", .fixed(c, 3))) }
        if let n = nps { m.append(("nps", .fixed(n, 1))) }
        return .object(m)
    }
}

extension ChurnAssessment {
    /// The assessment as JSON: risk, band, probability alive, reasons and the suggested action.
    public var json: JSONValue {
        .object([("customer", .string(customer)), ("risk", .fixed(risk, 4)), ("band", .string(band.rawValue)),
                 ("probabilityAlive", .fixed(probabilityAlive, 4)), ("expectedPurchases", .fixed(expectedPurchases, 3)),
                 ("reasons", .array(reasons.map { .string($0) })), ("action", .string(action))])
    }
}

extension ComplaintQueue {
    /// The complaints filed at `store` on `date` (a `DailySummary`'s `openedComplaints`) whose SLA
    /// clocks broke, judged at the end of that day or at `now`, whichever is sooner.
    public static func breached(_ opened: [String], store: String, date: String, now: Int64, sla: SLAConfiguration,
                                record: (String) throws -> ComplaintRecord?) rethrows -> [String] {
        guard let end = Timestamp(iso8601: date + "T23:59:59Z") else { return [] }
        let zone = Int64((sla.hours[store] ?? sla.defaultHours).offsetMinutes) * 60_000_000
        var breached: [String] = []
        for id in opened {
            guard let r = try record(id) else { continue }
            let clocks = ComplaintSLA.clocks(r, at: min(end.microseconds - zone, now), configuration: sla)
            if clocks.contains(where: { $0.state == .breached || $0.state == .missed }) { breached.append(id) }
        }
        return breached
    }
}

extension ProjectionStore {
    /// The daily report's breached complaints (`ComplaintQueue.breached`): live, or as of `point` —
    /// the complaints as the ledger held them then, judged no later than that moment.
    public func breachedComplaints(_ opened: [String], store: String, date: String, asOf point: AsOf?, sla: SLAConfiguration,
                                   catchingUp: Bool = true) throws -> [String] {
        if let point {
            let records = try fold(ComplaintStatusProjector(), asOf: point)
            return ComplaintQueue.breached(opened, store: store, date: date, now: try moment(of: point).microseconds, sla: sla) { records[$0] }
        }
        return try ComplaintQueue.breached(opened, store: store, date: date, now: Timestamp.now().microseconds, sla: sla) { id in
            try catchingUp ? record(ComplaintStatusProjector(), key: id) : storedRecord(ComplaintStatusProjector(), key: id)
        }
    }
}
