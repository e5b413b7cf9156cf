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
    /// clocks broke, as of the end of that day (or now, if sooner).
    public static func breached(_ opened: [String], store: String, date: String, models: ProjectionStore, sla: SLAConfiguration,
                                catchingUp: Bool = true) throws -> [String] {
        var breached: [String] = []
        for id in opened {
            guard let r = try (catchingUp ? models.record(ComplaintStatusProjector(), key: id) : models.storedRecord(ComplaintStatusProjector(), key: id)) else { continue }
            let zone = Int64((sla.hours[store] ?? sla.defaultHours).offsetMinutes) * 60_000_000
            guard let end = Timestamp(iso8601: date + "T23:59:59Z") else { continue }
            let clocks = ComplaintSLA.clocks(r, at: min(end.microseconds - zone, Timestamp.now().microseconds), configuration: sla)
            if clocks.contains(where: { $0.state == .breached || $0.state == .missed }) { breached.append(id) }
        }
        return breached
    }
}
