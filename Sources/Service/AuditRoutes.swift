import Access
import CustomerEvents
import Hummingbird
import Ledger
import LedgerJSON
import Projections

/// The compliance role's audit endpoints: one customer's events, who read their personal data,
/// and what one staff member did. (`clientele audit` is the full tool; these are the service's
/// small mirror of it.) Each answer names its point in `asOf`, as the other reads do.
struct AuditRoutes {
    let backend: ClienteleBackend
    let reads: ReadRoutes

    func add(to router: Router<ClienteleRequestContext>) {
        router.get("/v1/audit/customers/:customer/events") { request, context in try await customerEvents(request, context) }
        // Scans of up to 100,000 events: off the event loops, like the reports.
        router.get("/v1/audit/customers/:customer/accesses") { request, context in try await offloaded { try accesses(request, context) } }
        router.get("/v1/audit/actors/:actor/events") { request, context in try await offloaded { try actorEvents(request, context) } }
    }

    /// The index query for `index` as of `point` (the whole log when nil); a scan then keeps only
    /// the events `point` includes (a time: those that occurred by then; a sequence: those recorded by then).
    static func query(_ index: EventQuery.Index, asOf point: AsOf?) -> EventQuery {
        EventQuery(index, sequences: point?.sequences ?? 1...UInt64.max)
    }

    /// Every event of one customer, unsealed (the compliance role sees personal data; the read is recorded).
    func customerEvents(_ request: Request, _ context: ClienteleRequestContext) async throws -> Response {
        let principal = try context.require(.audit)
        let id = try context.identifier("customer", limit: EventLimits.customer)
        let limit = try request.intQuery("limit", in: 1...100_000, default: 10_000)
        let point = try request.asOf()
        let ledger = backend.ledger
        // Up to 100,000 events unsealed: off the event loops.
        let (events, personal, store) = try await offloaded { () throws -> ([JSONValue], Bool, String?) in
            var events: [JSONValue] = []
            var personal = false
            var store: String?
            try ledger.scan(Self.query(.customer(id), asOf: point)) { e in
                if let point, !point.includes(sequence: e.recorded.sequence, occurredAt: e.recorded.occurredAt) { return true }
                if store == nil { store = e.recorded.store }
                if e.personalData == .unsealed { personal = true }
                events.append(e.json)
                return events.count < limit
            }
            return (events, personal, store)
        }
        guard !events.isEmpty else { throw Problem.notFound("no events of customer '\(id)'" + (point == nil ? "" : " as of that point")) }
        if personal {
            try await reads.recordAccess(principal: principal, customers: [(id, store)], fields: ["events"],
                                         endpoint: "GET /v1/audit/customers/{customer}/events", purpose: request.query("purpose") ?? "audit", context: context)
        }
        return jsonResponse(.object([("customer", .string(id)), ("events", .array(events)), try reads.asOfMember(point)]), headers: [.cacheControl: "no-store"])
    }

    /// Who read the customer's personal data, when, where and why.
    func accesses(_ request: Request, _ context: ClienteleRequestContext) throws -> Response {
        _ = try context.require(.audit)
        let id = try context.identifier("customer", limit: EventLimits.customer)
        let point = try request.asOf()
        var out: [JSONValue] = []
        try backend.ledger.scan(Self.query(.customer(id), asOf: point)) { e in
            guard e.type == PersonalDataAccess.type else { return true }
            if let point, !point.includes(sequence: e.recorded.sequence, occurredAt: e.recorded.occurredAt) { return true }
            out.append(.object([("sequence", .number(String(e.recorded.sequence))), ("actor", .string(e.recorded.actor)),
                                ("store", .string(e.recorded.store)), ("at", .string(e.recorded.occurredAt.iso8601)), ("endpoint", e.payload["endpoint"] ?? .null),
                                ("purpose", e.payload["purpose"] ?? .null), ("fields", e.payload["fields"] ?? .array([]))]))
            return true
        }
        return jsonResponse(.object([("customer", .string(id)), ("accesses", .array(out)), try reads.asOfMember(point)]))
    }

    /// What one actor recorded or read: the envelopes (payloads left out: they may hold many customers' personal data).
    func actorEvents(_ request: Request, _ context: ClienteleRequestContext) throws -> Response {
        _ = try context.require(.audit)
        let actor = try context.identifier("actor", limit: EventLimits.actor)
        let limit = try request.intQuery("limit", in: 1...100_000, default: 10_000)
        let point = try request.asOf()
        var out: [JSONValue] = []
        try backend.ledger.ledger.scan(Self.query(.actor(actor), asOf: point)) { r in
            if let point, !point.includes(sequence: r.sequence, occurredAt: r.occurredAt) { return true }
            out.append(.object([("sequence", .number(String(r.sequence))), ("type", .string(r.type)), ("customer", .string(r.customer)),
                                ("store", .string(r.store)), ("occurredAt", .string(r.occurredAt.iso8601)), ("recordedAt", .string(r.recordedAt.iso8601))]))
            return out.count < limit
        }
        return jsonResponse(.object([("actor", .string(actor)), ("events", .array(out)), try reads.asOfMember(point)]))
    }
}
