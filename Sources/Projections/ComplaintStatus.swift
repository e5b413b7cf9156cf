import CustomerEvents
import Ledger
import LedgerJSON

/// One complaint's handling so far: the loop 受理 → 核实 → 处理 → 反馈 → 回访 (intake → verify →
/// handle → feedback → callback), as times of each step, pauses while waiting on the customer,
/// reopenings and escalations. SLA clocks are read from it at a moment (`ComplaintSLA`).
public struct ComplaintRecord: ProjectionRecord, Sendable, Equatable {
    public var complaint: String
    public var customer = ""
    public var store = ""
    public var category = "other"
    public var severity = "medium"
    public var filedAt: Int64 = 0
    public var acknowledgedAt: Int64?
    public var verifiedAt: Int64?
    public var plannedAt: Int64?
    public var actedAt: Int64?
    public var resolvedAt: Int64?
    public var closedAt: Int64?
    /// When the current round began: filing, or the last reopening (close target counts from here).
    public var roundStartedAt: Int64 = 0
    public var reopened = 0
    public var escalated = false
    public var satisfied: Bool?
    /// Pauses while waiting on the customer: [start, end) in µs; the last may be open (end 0).
    public var pauses: [[Int64]] = []
    /// Staff who took a step, in order (the first is who acknowledged it).
    public var handlers: [String] = []
    public var callbackCSAT: Int64?

    public init(complaint: String) { self.complaint = complaint }

    public var isOpen: Bool { closedAt == nil }
    public var status: String {
        if closedAt != nil { return "closed" }
        if resolvedAt != nil { return "resolved" }
        if let last = pauses.last, last[1] == 0 { return "awaiting-customer" }
        if actedAt != nil { return "handling" }
        if plannedAt != nil { return "planned" }
        if verifiedAt != nil { return "verified" }
        if acknowledgedAt != nil { return "acknowledged" }
        return "filed"
    }

    public init?(json: JSONValue) {
        guard let id = json["complaint"]?.stringValue else { return nil }
        complaint = id
        customer = json["customer"]?.stringValue ?? ""
        store = json["store"]?.stringValue ?? ""
        category = json["category"]?.stringValue ?? "other"
        severity = json["severity"]?.stringValue ?? "medium"
        filedAt = json["filedAt"]?.int64Value ?? 0
        acknowledgedAt = json["acknowledgedAt"]?.int64Value
        verifiedAt = json["verifiedAt"]?.int64Value
        plannedAt = json["plannedAt"]?.int64Value
        actedAt = json["actedAt"]?.int64Value
        resolvedAt = json["resolvedAt"]?.int64Value
        closedAt = json["closedAt"]?.int64Value
        roundStartedAt = json["roundStartedAt"]?.int64Value ?? filedAt
        reopened = Int(json["reopened"]?.int64Value ?? 0)
        escalated = json["escalated"] == .bool(true)
        if case .bool(let b)? = json["satisfied"] { satisfied = b }
        if case .array(let a)? = json["pauses"] {
            pauses = a.compactMap { p in if case .array(let x) = p, x.count == 2 { return x.compactMap(\.int64Value) } else { return nil } }
        }
        if case .array(let a)? = json["handlers"] { handlers = a.compactMap(\.stringValue) }
        callbackCSAT = json["callbackCSAT"]?.int64Value
    }

    public var json: JSONValue {
        func n(_ v: Int64) -> JSONValue { .number(String(v)) }
        var m: [(String, JSONValue)] = [("complaint", .string(complaint)), ("customer", .string(customer)), ("store", .string(store)),
                                        ("category", .string(category)), ("severity", .string(severity)), ("filedAt", n(filedAt))]
        for (k, v) in [("acknowledgedAt", acknowledgedAt), ("verifiedAt", verifiedAt), ("plannedAt", plannedAt), ("actedAt", actedAt),
                       ("resolvedAt", resolvedAt), ("closedAt", closedAt), ("callbackCSAT", callbackCSAT)] {
            if let v { m.append((k, n(v))) }
        }
        m += [("roundStartedAt", n(roundStartedAt)), ("reopened", n(Int64(reopened))), ("escalated", .bool(escalated))]
        if let satisfied { m.append(("satisfied", .bool(satisfied))) }
        m.append(("pauses", .array(pauses.map { .array($0.map(n)) })))
        m.append(("handlers", .array(handlers.map { .string($0) })))
        return .object(m)
    }
}

/// Folds every complaint step into its complaint's record.
public struct ComplaintStatusProjector: KeyedProjector {
    public static let name = "complaint-status"
    public static let version = 1
    public init() {}

    public var eventTypes: Set<String>? {
        ["ComplaintFiled", "ComplaintAcknowledged", "ComplaintVerified", "ComplaintPlanProposed", "ComplaintActionTaken", "ComplaintEscalated",
         "ComplaintAwaitingCustomer", "ComplaintResumed", "ComplaintResolved", "ComplaintFeedbackReceived", "ComplaintReopened",
         "ComplaintClosed", "CallbackLogged"]
    }

    public func keys(for event: CatalogEvent) -> [String] {
        guard event.type.hasPrefix("Complaint") || event.type == "CallbackLogged",
              let id = event.payload["complaint"]?.stringValue else { return [] }
        return [id]
    }

    public func initial(key: String) -> ComplaintRecord { ComplaintRecord(complaint: key) }

    public func apply(_ r: inout ComplaintRecord, _ event: CatalogEvent) {
        let at = event.recorded.occurredAt.microseconds
        let p = event.payload
        let actor = event.recorded.actor
        func handled() { if !r.handlers.contains(actor) { r.handlers.append(actor) } }
        switch event.type {
        case "ComplaintFiled":
            r.customer = event.recorded.customer
            r.store = event.recorded.store
            r.category = p["category"]?.stringValue ?? r.category
            r.severity = p["severity"]?.stringValue ?? r.severity
            r.filedAt = at
            r.roundStartedAt = at
        case "ComplaintAcknowledged": r.acknowledgedAt = r.acknowledgedAt ?? at; handled()
        case "ComplaintVerified": r.verifiedAt = r.verifiedAt ?? at; handled()
        case "ComplaintPlanProposed": r.plannedAt = r.plannedAt ?? at; handled()
        case "ComplaintActionTaken": r.actedAt = at; handled()
        case "ComplaintEscalated": r.escalated = true
        case "ComplaintAwaitingCustomer": if r.pauses.last.map({ $0[1] != 0 }) ?? true { r.pauses.append([at, 0]) }
        case "ComplaintResumed": if let last = r.pauses.indices.last, r.pauses[last][1] == 0 { r.pauses[last][1] = max(at, r.pauses[last][0]) }
        case "ComplaintResolved": r.resolvedAt = at; handled()
        case "ComplaintFeedbackReceived": r.satisfied = p["satisfied"] == .bool(true)
        case "ComplaintReopened":
            r.reopened += 1
            r.resolvedAt = nil
            r.closedAt = nil
            r.roundStartedAt = at
        case "ComplaintClosed": r.closedAt = at; handled()
        case "CallbackLogged": r.callbackCSAT = p["csat"]?.int64Value ?? r.callbackCSAT
        default: break
        }
    }
}
