import CustomerEvents
import Ledger
import LedgerJSON

/// One store's day (工作总结): visits, purchases and revenue, returns and their reasons,
/// complaints opened and closed by category, callbacks done. Keyed `store|YYYY-MM-DD` in the
/// store's local date. Breaches are read from the complaint records when the report is made.
public struct DailySummary: ProjectionRecord, Sendable, Equatable {
    public var visits = 0
    public var purchases = 0
    public var revenue: Int64 = 0
    public var currency: String?
    public var returns = 0
    public var refunded: Int64 = 0
    public var returnReasons: [String: Int] = [:]
    public var complaintsOpened = 0
    public var complaintsClosed = 0
    public var complaintCategories: [String: Int] = [:]
    public var openedComplaints: [String] = []
    public var callbacks = 0
    public var csatSum: Int64 = 0
    public var csatCount = 0
    public var newCustomers = 0

    public init() {}

    public init?(json: JSONValue) {
        func i(_ k: String) -> Int { Int(json[k]?.int64Value ?? 0) }
        func counts(_ k: String) -> [String: Int] {
            var out: [String: Int] = [:]
            if case .object(let m)? = json[k] { for (key, v) in m { out[key] = Int(v.int64Value ?? 0) } }
            return out
        }
        visits = i("visits"); purchases = i("purchases"); revenue = json["revenue"]?.int64Value ?? 0
        currency = json["currency"]?.stringValue
        returns = i("returns"); refunded = json["refunded"]?.int64Value ?? 0; returnReasons = counts("returnReasons")
        complaintsOpened = i("complaintsOpened"); complaintsClosed = i("complaintsClosed"); complaintCategories = counts("complaintCategories")
        if case .array(let a)? = json["openedComplaints"] { openedComplaints = a.compactMap(\.stringValue) }
        callbacks = i("callbacks"); csatSum = json["csatSum"]?.int64Value ?? 0; csatCount = i("csatCount"); newCustomers = i("newCustomers")
    }

    public var json: JSONValue {
        func n(_ v: Int) -> JSONValue { .number(String(v)) }
        func counts(_ d: [String: Int]) -> JSONValue { .object(d.sorted { $0.key < $1.key }.map { ($0.key, n($0.value)) }) }
        var m: [(String, JSONValue)] = [("visits", n(visits)), ("purchases", n(purchases)), ("revenue", .number(String(revenue)))]
        if let currency { m.append(("currency", .string(currency))) }
        m += [("returns", n(returns)), ("refunded", .number(String(refunded))), ("returnReasons", counts(returnReasons)),
              ("complaintsOpened", n(complaintsOpened)), ("complaintsClosed", n(complaintsClosed)),
              ("complaintCategories", counts(complaintCategories)), ("openedComplaints", .array(openedComplaints.map { .string($0) })),
              ("callbacks", n(callbacks)), ("csatSum", .number(String(csatSum))), ("csatCount", n(csatCount)), ("newCustomers", n(newCustomers))]
        return .object(m)
    }

    /// Average CSAT of the day's callbacks.
    public var csat: Double? { csatCount > 0 ? Double(csatSum) / Double(csatCount) : nil }
}

/// Folds each event into its store's day.
public struct DailySummaryProjector: KeyedProjector {
    public static let name = "daily-summary"
    public static let version = 1
    public init() {}

    /// The key of a store's day: `store|YYYY-MM-DD`.
    public static func key(store: String, at t: Timestamp) -> String {
        let local = t.microseconds + Int64(t.offsetMinutes) * 60_000_000
        let day = local >= 0 ? local / 86_400_000_000 : (local - 86_399_999_999) / 86_400_000_000
        let (y, m, d) = Timestamp.civil(fromDays: day)
        return "\(store)|\(y)-\(m < 10 ? "0" : "")\(m)-\(d < 10 ? "0" : "")\(d)"
    }

    public var eventTypes: Set<String>? {
        ["VisitRecorded", "PurchaseRecorded", "ReturnRecorded", "ComplaintFiled", "ComplaintClosed", "CallbackLogged", "CustomerRegistered"]
    }

    public func keys(for event: CatalogEvent) -> [String] {
        switch event.type {
        case "VisitRecorded", "PurchaseRecorded", "ReturnRecorded", "ComplaintFiled", "ComplaintClosed", "CallbackLogged", "CustomerRegistered":
            return [DailySummaryProjector.key(store: event.recorded.store, at: event.recorded.occurredAt)]
        default:
            return []
        }
    }

    public func initial(key: String) -> DailySummary { DailySummary() }

    public func apply(_ s: inout DailySummary, _ event: CatalogEvent) {
        let p = event.payload
        switch event.type {
        case "VisitRecorded": s.visits += 1
        case "CustomerRegistered": s.newCustomers += 1
        case "PurchaseRecorded":
            s.purchases += 1
            s.revenue += p["total"]?["minor"]?.int64Value ?? 0
            s.currency = s.currency ?? p["total"]?["currency"]?.stringValue
        case "ReturnRecorded":
            s.returns += 1
            s.refunded += p["refund"]?["minor"]?.int64Value ?? 0
            s.returnReasons[p["reason"]?.stringValue ?? "(no reason given)", default: 0] += 1
        case "ComplaintFiled":
            s.complaintsOpened += 1
            s.complaintCategories[p["category"]?.stringValue ?? "other", default: 0] += 1
            if let id = p["complaint"]?.stringValue { s.openedComplaints.append(id) }
        case "ComplaintClosed": s.complaintsClosed += 1
        case "CallbackLogged":
            s.callbacks += 1
            if let c = p["csat"]?.int64Value { s.csatSum += c; s.csatCount += 1 }
        default: break
        }
    }
}
