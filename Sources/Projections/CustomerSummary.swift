import CustomerEvents
import Ledger
import LedgerJSON

/// What the store knows of one customer, without personal data: purchases and returns (net),
/// the days they bought on, categories, visits, points, open complaints, consents now.
/// Customer 360, segments, loyalty tiers and churn risk are all read from it.
public struct CustomerSummary: ProjectionRecord, Sendable, Equatable {
    public var registeredAt: Int64?
    public var homeStore: String?
    /// The zone offset (minutes) of the customer's latest event, to show their times in.
    public var offsetMinutes: Int16 = 0
    /// Distinct local days (day numbers since 1970-01-01 in the event's own zone) with a purchase.
    public var purchaseDays: [Int64] = []
    public var receipts: Int = 0
    public var returns: Int = 0
    /// Spend net of refunds, in minor units of `currency`.
    public var netSpend: Int64 = 0
    public var currency: String?
    public var categories: [String] = []
    public var visits: Int = 0
    public var lastVisitAt: Int64?
    public var lastPurchaseAt: Int64?
    public var firstPurchaseAt: Int64?
    public var points: Int64 = 0
    /// Points earned per receipt, so that a return reverses them once.
    public var pointsByReceipt: [String: Int64] = [:]
    public var reversedReceipts: [String] = []
    public var openComplaints: [String] = []
    public var unresolvedComplaintSince: [String: Int64] = [:]
    public var badlyResolvedComplaints: Int = 0
    /// Marketing channels the customer consents to now ("*" = every channel).
    public var marketingChannels: [String] = []
    public var membership = false
    public var erased = false
    /// The last few receipts: (receipt, at µs, total minor).
    public var recentReceipts: [RecentReceipt] = []

    public struct RecentReceipt: Sendable, Equatable {
        public var receipt: String
        public var at: Int64
        public var total: Int64
    }

    public init() {}

    public init?(json: JSONValue) {
        func int(_ k: String) -> Int64? { json[k]?.int64Value }
        func strings(_ k: String) -> [String] { if case .array(let a)? = json[k] { return a.compactMap(\.stringValue) } else { return [] } }
        registeredAt = int("registeredAt")
        homeStore = json["homeStore"]?.stringValue
        offsetMinutes = Int16(clamping: int("offsetMinutes") ?? 0)
        if case .array(let days)? = json["purchaseDays"] { purchaseDays = days.compactMap(\.int64Value) }
        receipts = Int(int("receipts") ?? 0)
        returns = Int(int("returns") ?? 0)
        netSpend = int("netSpend") ?? 0
        currency = json["currency"]?.stringValue
        categories = strings("categories")
        visits = Int(int("visits") ?? 0)
        lastVisitAt = int("lastVisitAt")
        lastPurchaseAt = int("lastPurchaseAt")
        firstPurchaseAt = int("firstPurchaseAt")
        points = int("points") ?? 0
        if case .object(let m)? = json["pointsByReceipt"] { for (k, v) in m { pointsByReceipt[k] = v.int64Value ?? 0 } }
        reversedReceipts = strings("reversedReceipts")
        openComplaints = strings("openComplaints")
        if case .object(let m)? = json["unresolvedComplaintSince"] { for (k, v) in m { unresolvedComplaintSince[k] = v.int64Value ?? 0 } }
        badlyResolvedComplaints = Int(int("badlyResolvedComplaints") ?? 0)
        marketingChannels = strings("marketingChannels")
        membership = json["membership"] == .bool(true)
        erased = json["erased"] == .bool(true)
        if case .array(let a)? = json["recentReceipts"] {
            recentReceipts = a.compactMap { r in
                guard let id = r["receipt"]?.stringValue, let at = r["at"]?.int64Value, let total = r["total"]?.int64Value else { return nil }
                return RecentReceipt(receipt: id, at: at, total: total)
            }
        }
    }

    public var json: JSONValue {
        func n(_ v: Int64) -> JSONValue { .number(String(v)) }
        var m: [(String, JSONValue)] = []
        if let registeredAt { m.append(("registeredAt", n(registeredAt))) }
        if let homeStore { m.append(("homeStore", .string(homeStore))) }
        m.append(("offsetMinutes", n(Int64(offsetMinutes))))
        m.append(("purchaseDays", .array(purchaseDays.map(n))))
        m += [("receipts", n(Int64(receipts))), ("returns", n(Int64(returns))), ("netSpend", n(netSpend))]
        if let currency { m.append(("currency", .string(currency))) }
        m.append(("categories", .array(categories.map { .string($0) })))
        m.append(("visits", n(Int64(visits))))
        if let lastVisitAt { m.append(("lastVisitAt", n(lastVisitAt))) }
        if let lastPurchaseAt { m.append(("lastPurchaseAt", n(lastPurchaseAt))) }
        if let firstPurchaseAt { m.append(("firstPurchaseAt", n(firstPurchaseAt))) }
        m.append(("points", n(points)))
        m.append(("pointsByReceipt", .object(pointsByReceipt.sorted { $0.key < $1.key }.map { ($0.key, n($0.value)) })))
        m.append(("reversedReceipts", .array(reversedReceipts.map { .string($0) })))
        m.append(("openComplaints", .array(openComplaints.map { .string($0) })))
        m.append(("unresolvedComplaintSince", .object(unresolvedComplaintSince.sorted { $0.key < $1.key }.map { ($0.key, n($0.value)) })))
        m.append(("badlyResolvedComplaints", n(Int64(badlyResolvedComplaints))))
        m.append(("marketingChannels", .array(marketingChannels.map { .string($0) })))
        m.append(("membership", .bool(membership)))
        m.append(("erased", .bool(erased)))
        m.append(("recentReceipts", .array(recentReceipts.map { .object([("receipt", .string($0.receipt)), ("at", n($0.at)), ("total", n($0.total))]) })))
        return .object(m)
    }

    /// Purchases counted BG/NBD's way: distinct days, the first one excluded.
    public var repeatPurchaseDays: Int { max(0, purchaseDays.count - 1) }
}

/// Folds every customer's events into their `CustomerSummary`.
public struct CustomerSummaryProjector: KeyedProjector {
    public static let name = "customer-summary"
    public static let version = 3
    public init() {}

    public var eventTypes: Set<String>? {
        ["CustomerRegistered", "PurchaseRecorded", "ReturnRecorded", "PointsEarned", "PointsRedeemed", "PointsExpired", "PointsAdjusted",
         "VisitRecorded", "ComplaintFiled", "ComplaintReopened", "ComplaintResolved", "ComplaintFeedbackReceived", "ComplaintClosed",
         "ConsentGranted", "ConsentWithdrawn", "CustomerErased"]
    }

    public func keys(for event: CatalogEvent) -> [String] { [event.recorded.customer] }

    public func initial(key: String) -> CustomerSummary { CustomerSummary() }

    public func apply(_ s: inout CustomerSummary, _ event: CatalogEvent) {
        let at = event.recorded.occurredAt
        let p = event.payload
        // System events (access records, erasures) are stamped in UTC; the store's own events tell its zone.
        if event.recorded.channel != "system" { s.offsetMinutes = at.offsetMinutes }
        switch event.type {
        case "CustomerRegistered":
            s.registeredAt = s.registeredAt ?? at.microseconds
            s.homeStore = s.homeStore ?? event.recorded.store
        case "PurchaseRecorded":
            let day = (at.microseconds + Int64(at.offsetMinutes) * 60_000_000) / 86_400_000_000
            if s.purchaseDays.last != day && !s.purchaseDays.contains(day) {
                s.purchaseDays.append(day)
                s.purchaseDays.sort()
            }
            s.receipts += 1
            let total = p["total"]?["minor"]?.int64Value ?? 0
            s.netSpend += total
            s.currency = s.currency ?? p["total"]?["currency"]?.stringValue
            if case .array(let lines)? = p["lines"] {
                for line in lines {
                    if let c = line["category"]?.stringValue, c != Upcasters.uncategorized, !s.categories.contains(c) { s.categories.append(c) }
                }
            }
            s.firstPurchaseAt = min(s.firstPurchaseAt ?? at.microseconds, at.microseconds)
            s.lastPurchaseAt = max(s.lastPurchaseAt ?? at.microseconds, at.microseconds)
            s.homeStore = s.homeStore ?? event.recorded.store
            if let receipt = p["receipt"]?.stringValue {
                s.recentReceipts.append(.init(receipt: receipt, at: at.microseconds, total: total))
                if s.recentReceipts.count > 5 { s.recentReceipts.removeFirst(s.recentReceipts.count - 5) }
            }
        case "ReturnRecorded":
            s.returns += 1
            s.netSpend -= p["refund"]?["minor"]?.int64Value ?? 0
            // Reverse the points the original receipt earned, once, never below zero.
            if let original = p["originalReceipt"]?.stringValue, !s.reversedReceipts.contains(original),
               let earned = s.pointsByReceipt[original] {
                s.reversedReceipts.append(original)
                s.points = max(0, s.points - earned)
            }
        case "PointsEarned":
            let n = p["points"]?.int64Value ?? 0
            s.points += n
            if let r = p["receipt"]?.stringValue { s.pointsByReceipt[r, default: 0] += n }
        case "PointsRedeemed", "PointsExpired":
            s.points = max(0, s.points - (p["points"]?.int64Value ?? 0))
        case "PointsAdjusted":
            s.points = max(0, s.points + (p["points"]?.int64Value ?? 0))
        case "VisitRecorded":
            s.visits += 1
            s.lastVisitAt = max(s.lastVisitAt ?? at.microseconds, at.microseconds)
        case "ComplaintFiled", "ComplaintReopened":
            if let id = p["complaint"]?.stringValue {
                if !s.openComplaints.contains(id) { s.openComplaints.append(id) }
                s.unresolvedComplaintSince[id] = s.unresolvedComplaintSince[id] ?? at.microseconds
            }
        case "ComplaintResolved":
            if let id = p["complaint"]?.stringValue { s.unresolvedComplaintSince[id] = nil }
        case "ComplaintFeedbackReceived":
            if p["satisfied"] == .bool(false) { s.badlyResolvedComplaints += 1 }
        case "ComplaintClosed":
            if let id = p["complaint"]?.stringValue {
                s.openComplaints.removeAll { $0 == id }
                s.unresolvedComplaintSince[id] = nil
            }
        case "ConsentGranted", "ConsentWithdrawn":
            let granted = event.type == "ConsentGranted"
            let purpose = p["purpose"]?.stringValue
            if purpose == "membership" { s.membership = granted }
            if purpose == "marketing" {
                let channel = p["channel"]?.stringValue ?? "*"
                if granted {
                    if !s.marketingChannels.contains(channel) { s.marketingChannels.append(channel) }
                } else if channel == "*" {
                    s.marketingChannels.removeAll()
                } else {
                    s.marketingChannels.removeAll { $0 == channel }
                }
            }
        case "CustomerErased":
            s.erased = true
            s.marketingChannels.removeAll()
        default:
            break
        }
    }
}
