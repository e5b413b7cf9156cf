import Access
import CustomerEvents
import HTTPTypes
import Hummingbird
import Ledger
import LedgerJSON
import Logging
import Projections

/// The write endpoints: `POST /v1/events` and the task-shaped ones staff use. Every write is
/// checked against the catalog's schemas, sealed, and appended through the ledger's group commit.
struct WriteRoutes {
    let backend: ClienteleBackend

    static let idempotencyKeyField = HTTPField.Name("Idempotency-Key")!
    static let replayedField = HTTPField.Name("Idempotent-Replayed")!
    /// The source under which `Idempotency-Key`s are kept in the ledger's source index.
    static let idempotencySource = "http-idempotency"

    /// The complaint steps and the events they record.
    static let complaintSteps: [String: String] = [
        "acknowledge": "ComplaintAcknowledged", "verify": "ComplaintVerified", "plan": "ComplaintPlanProposed",
        "action": "ComplaintActionTaken", "escalate": "ComplaintEscalated", "await-customer": "ComplaintAwaitingCustomer",
        "resume": "ComplaintResumed", "resolve": "ComplaintResolved", "feedback": "ComplaintFeedbackReceived",
        "reopen": "ComplaintReopened", "close": "ComplaintClosed",
    ]

    func add(to router: Router<ClienteleRequestContext>) {
        router.post("/v1/events") { request, context in try await postEvents(request, context) }
        router.post("/v1/customers") { request, context in try await registerCustomer(request, context) }
        router.post("/v1/customers/:customer/visits") { request, context in
            try await task(request, context, type: "VisitRecorded", customer: try context.identifier("customer", limit: EventLimits.customer))
        }
        router.post("/v1/customers/:customer/complaints") { request, context in
            try await task(request, context, type: "ComplaintFiled", customer: try context.identifier("customer", limit: EventLimits.customer),
                           generated: [("complaint", "CP-")])
        }
        router.post("/v1/customers/:customer/callbacks") { request, context in
            try await task(request, context, type: "CallbackLogged", customer: try context.identifier("customer", limit: EventLimits.customer))
        }
        router.post("/v1/customers/:customer/care-contacts") { request, context in
            try await task(request, context, type: "CareContactMade", customer: try context.identifier("customer", limit: EventLimits.customer), consentCheck: true)
        }
        router.post("/v1/complaints/:complaint/:step") { request, context in try await complaintStep(request, context) }
    }

    // MARK: POST /v1/events

    func postEvents(_ request: Request, _ context: ClienteleRequestContext) async throws -> Response {
        let principal = try context.require(.recordEvents)
        let body = try await request.jsonBody(limit: backend.settings.maxBodyBytes)
        let documents: [JSONValue]
        let batch: Bool
        switch body {
        case .object: documents = [body]; batch = false
        case .array(let items):
            guard !items.isEmpty else { throw Problem.validation(path: "$", reason: "an empty batch; send at least one event") }
            guard items.count <= backend.settings.maxBatchEvents else {
                throw Problem.validation(path: "$", reason: "\(items.count) events; a batch holds at most \(backend.settings.maxBatchEvents)")
            }
            documents = items; batch = true
        default:
            throw Problem.validation(path: "$", reason: "expected an event object or an array of events, found \(body.kindName)")
        }
        let expected = try Self.ifMatch(request)
        if expected != nil && batch {
            throw Problem.badParameter("If-Match", "applies to a single event; give each event of a batch its expectedVersion")
        }
        var prepared: [JSONValue] = []
        prepared.reserveCapacity(documents.count)
        for (i, doc) in documents.enumerated() {
            let at = batch ? "$[\(i)]" : "$"
            guard case .object(var members) = doc else { throw Problem.validation(path: at, reason: "expected an event object, found \(doc.kindName)") }
            // Who may write what: a clerk in their own stores, and only as themselves; connectors (manager, admin) name their actor.
            if let store = doc["store"]?.stringValue { try principal.requireStore(store) }
            if principal.role == .clerk, let actor = doc["actor"]?.stringValue, actor != principal.actor {
                throw Problem.forbidden("\(principal) may record events only as \(principal.actor), not as \(actor)")
            }
            if let expected { members.removeAll { $0.0 == "expectedVersion" }; members.append(("expectedVersion", expected)) }
            prepared.append(.object(members))
        }
        let key = try Self.idempotencyKey(request)
        return try await append(prepared, context: context, principal: principal, idempotencyKey: key, batch: batch, pathPrefix: { i in batch ? "$[\(i)]" : "$" })
    }

    // MARK: Task-shaped endpoints

    /// `POST /v1/customers`: registers a customer (409 when the id is taken).
    func registerCustomer(_ request: Request, _ context: ClienteleRequestContext) async throws -> Response {
        let principal = try context.require(.recordEvents)
        guard case .object(var members) = try await request.jsonBody(limit: backend.settings.maxBodyBytes) else {
            throw Problem.validation(path: "$", reason: "expected an object")
        }
        var customer = "C-" + RequestMiddleware.randomHex(12)
        if let i = members.firstIndex(where: { $0.0 == "customer" }) {
            guard let id = members[i].1.stringValue, !id.isEmpty, id.utf8.count <= 128 else {
                throw Problem.validation(path: "$.customer", reason: "expected a customer id (1 to 128 bytes)")
            }
            customer = CanonicalText.normalized(id) // as a lookup reads it (`identifier`)
            members.remove(at: i)
        }
        let doc = try await taskDocument(type: "CustomerRegistered", customer: customer, body: members, principal: principal, defaultStore: nil,
                                   expected: try Self.ifMatch(request) ?? .number("0"))
        return try await append([doc], context: context, principal: principal, idempotencyKey: try Self.idempotencyKey(request),
                                batch: false, pathPrefix: { _ in "$" }, flattenPayload: true, created: "/v1/customers/" + pathSegment(customer),
                                conflictDetail: "customer '\(customer)' already exists (or is not at the version in If-Match)")
    }

    /// A task endpoint: the body holds the payload's members plus optional `store`, `channel`, `occurredAt`.
    func task(_ request: Request, _ context: ClienteleRequestContext, type: String, customer: String,
              generated: [(String, String)] = [], consentCheck: Bool = false, fixed: [(String, JSONValue)] = [],
              defaultStore: String? = nil) async throws -> Response {
        let principal = try context.require(.recordEvents)
        guard case .object(var members) = try await request.jsonBody(limit: backend.settings.maxBodyBytes) else {
            throw Problem.validation(path: "$", reason: "expected an object")
        }
        for (name, prefix) in generated where !members.contains(where: { $0.0 == name }) {
            members.append((name, .string(prefix + RequestMiddleware.randomHex(10))))
        }
        for (name, value) in fixed {
            if let given = members.first(where: { $0.0 == name })?.1, given != value {
                throw Problem.validation(path: "$.\(name)", reason: "must match the URL (\(value.stringValue ?? ""))")
            }
            members.removeAll { $0.0 == name }
            members.append((name, value))
        }
        let doc = try await taskDocument(type: type, customer: customer, body: members, principal: principal,
                                   defaultStore: defaultStore, expected: try Self.ifMatch(request))
        if consentCheck, let channel = doc["payload"]?["channel"]?.stringValue.flatMap(ContactChannel.init(rawValue:)) {
            let decision = try await backend.mayContact(customer, on: channel)
            if !decision.allowed {
                backend.metrics.rejectedEvents.increment()
                var p = Problem(.unprocessableContent, kind: "consent-refused", title: "The customer's consent does not allow this contact",
                                detail: "marketing by \(channel.rawValue) refused: \(decision.reason)", path: "$.channel")
                p.extensions = [("reason", .string(decision.reason))]
                throw p
            }
        }
        let location: String? = type == "ComplaintFiled" ? doc["payload"]?["complaint"]?.stringValue.map { "/v1/complaints/" + pathSegment($0) } : nil
        return try await append([doc], context: context, principal: principal, idempotencyKey: try Self.idempotencyKey(request),
                                batch: false, pathPrefix: { _ in "$" }, flattenPayload: true, created: location)
    }

    /// `POST /v1/complaints/{complaint}/{step}`: moves a complaint through its loop.
    func complaintStep(_ request: Request, _ context: ClienteleRequestContext) async throws -> Response {
        _ = try context.require(.recordEvents)
        let complaint = try context.identifier("complaint", limit: 1...128)
        let step = try context.parameters.require("step")
        guard let type = Self.complaintSteps[step] else {
            throw Problem.notFound("no complaint step '\(step)'; steps are \(Self.complaintSteps.keys.sorted().joined(separator: ", "))")
        }
        try await backend.awaitModelsSeeWrites()
        var record = try backend.models.storedRecord(ComplaintStatusProjector(), key: complaint)
        if record == nil {
            // Perhaps filed by another process since the last background catch-up: fold it in, off the event loop.
            let backend = self.backend
            try await offloaded { try backend.catchUpModels() }
            record = try backend.models.storedRecord(ComplaintStatusProjector(), key: complaint)
        }
        guard let record, !record.customer.isEmpty else { throw Problem.notFound("no complaint '\(complaint)'") }
        return try await task(request, context, type: type, customer: record.customer,
                              fixed: [("complaint", .string(complaint))], defaultStore: record.store)
    }

    /// The envelope of a task event: the principal as actor, store/channel/occurredAt from the body (or defaults), the rest as payload.
    func taskDocument(type: String, customer: String, body: [(String, JSONValue)], principal: Principal,
                      defaultStore: String?, expected: JSONValue?) async throws -> JSONValue {
        var payload: [(String, JSONValue)] = []
        var store: String?, channel = "counter", occurredAt: String?
        for (k, v) in body {
            switch k {
            case "store":
                guard let s = v.stringValue else { throw Problem.validation(path: "$.store", reason: "expected a string, found \(v.kindName)") }
                store = s
            case "via":
                guard let s = v.stringValue else { throw Problem.validation(path: "$.via", reason: "expected a string, found \(v.kindName)") }
                channel = s
            case "occurredAt":
                guard let s = v.stringValue else { throw Problem.validation(path: "$.occurredAt", reason: "expected a string, found \(v.kindName)") }
                occurredAt = s
            default:
                payload.append((k, v))
            }
        }
        if store == nil { store = defaultStore }
        if store == nil, principal.role == .clerk, principal.stores.count == 1 { store = principal.stores.first }
        if store == nil {
            try await backend.awaitModelsSeeWrites()
            store = try backend.models.storedRecord(CustomerSummaryProjector(), key: customer)?.homeStore
        }
        guard let store else { throw Problem.validation(path: "$.store", reason: "is required (the store where it happened)") }
        try principal.requireStore(store)
        // Now, on the store's clock (the zone of its opening hours), unless the body says when:
        // stamped in UTC, an evening's events at a +08:00 store would fall on the next day's report.
        let at = occurredAt ?? backend.configuration.sla.localTime(store: store, at: Timestamp.now().microseconds).iso8601
        var m: [(String, JSONValue)] = [("type", .string(type)), ("customer", .string(customer)), ("store", .string(store)),
                                        ("actor", .string(principal.actor)), ("channel", .string(channel)),
                                        ("occurredAt", .string(at)), ("payload", .object(payload))]
        if let expected { m.append(("expectedVersion", expected)) }
        return .object(m)
    }

    // MARK: Appending

    /// Checks, seals and appends `documents` (all or nothing for input errors), and answers with their receipts.
    func append(_ documents: [JSONValue], context: ClienteleRequestContext, principal: Principal, idempotencyKey: String?,
                batch: Bool, pathPrefix: (Int) -> String, flattenPayload: Bool = false, created: String? = nil,
                conflictDetail: String? = nil) async throws -> Response {
        var documents = documents
        if let idempotencyKey {
            for i in documents.indices {
                guard case .object(var members) = documents[i], !members.contains(where: { $0.0 == "source" || $0.0 == "externalId" }) else { continue }
                let id = principal.actor + "|" + idempotencyKey + (batch ? "|\(i)" : "")
                members.append(("source", .string(Self.idempotencySource)))
                members.append(("externalId", .string(id)))
                documents[i] = .object(members)
            }
        }
        let prepared = backend.ledger.prepare(documents)
        var problems: [(String, String)] = []
        for (i, result) in prepared.enumerated() {
            guard case .failure(let error) = result else { continue }
            switch error {
            case .invalid(let path, let reason):
                problems.append((Self.clientPath(path, prefix: pathPrefix(i), flattenPayload: flattenPayload), reason))
            case .sealing(let text):
                context.logger.warning("sealing refused", metadata: ["error": .string(text)])
                problems.append((pathPrefix(i) + ".customer", "personal fields cannot be sealed for this customer (erased, or no master key loaded)"))
            case .append(let e):
                problems.append((pathPrefix(i), e.description))
            }
        }
        if let first = problems.first {
            backend.metrics.rejectedEvents.increment(by: Int64(documents.count))
            var p = Problem.validation(path: first.0, reason: first.1)
            if problems.count > 1 || batch {
                p.extensions = [("errors", .array(problems.map { .object([("path", .string($0.0)), ("reason", .string($0.1))]) }))]
            }
            throw p
        }
        let events = prepared.map { try! $0.get() }
        let results = await backend.ledger.ledger.append(events, resumingOn: context.resumption)
        var receipts: [JSONValue] = []
        var conflict: String?
        var invalid: (String, String)?
        var unavailable: String?
        var appended = 0, duplicates = 0
        var lastFolded: UInt64 = 0
        for (i, result) in results.enumerated() {
            switch result {
            case .success(let r):
                if r.duplicate { duplicates += 1 } else { appended += 1 }
                if !CustomerLedger.observationTypes.contains(events[i].type) { lastFolded = max(lastFolded, r.sequence) }
                receipts.append(.object([("sequence", .number(String(r.sequence))), ("streamVersion", .number(String(r.streamVersion))),
                                         ("customer", .string(events[i].customer)), ("type", .string(events[i].type)),
                                         ("duplicate", .bool(r.duplicate))]))
            case .failure(let error):
                switch error {
                case .versionConflict: conflict = conflict ?? error.description
                case .invalid(let field, let reason): invalid = invalid ?? (pathPrefix(i) + "." + field, reason)
                case .storage, .closed:
                    unavailable = "\(error)"
                    context.logger.error("append failed", metadata: ["error": .string("\(error)")])
                }
                receipts.append(.object([("customer", .string(events[i].customer)), ("type", .string(events[i].type)),
                                         ("error", .string(Self.publicReason(error)))]))
            }
        }
        backend.metrics.appendedEvents.increment(by: Int64(appended))
        backend.metrics.duplicateEvents.increment(by: Int64(duplicates))
        if lastFolded > 0 { backend.noteModelWrite(lastFolded) }
        if unavailable != nil { throw Problem.unavailable("the ledger could not commit the events; retry with the same Idempotency-Key") }
        if let conflict {
            backend.metrics.rejectedEvents.increment()
            var p = Problem.conflict(conflictDetail ?? conflict)
            if batch { p.extensions = [("results", .array(receipts))] }
            throw p
        }
        if let invalid {
            var p = Problem.validation(path: invalid.0, reason: invalid.1)
            if batch { p.extensions = [("results", .array(receipts))] }
            throw p
        }
        let replay = duplicates == results.count
        var headers: HTTPFields = [:]
        if replay { headers[Self.replayedField] = "true" }
        if !batch, case .object(let m) = receipts[0], let v = m.first(where: { $0.0 == "streamVersion" })?.1, case .number(let n) = v {
            headers[.eTag] = "\"\(n)\""
        }
        if let created, !replay { headers[.location] = created }
        let body: JSONValue = batch ? .object([("events", .array(receipts))]) : receipts[0]
        return jsonResponse(body, status: replay ? .ok : .created, headers: headers)
    }

    /// A path as the client wrote it: batch index prefixed; for task bodies the payload's members sit at the top.
    static func clientPath(_ path: String, prefix: String, flattenPayload: Bool) -> String {
        var p = path
        if flattenPayload {
            if p.hasPrefix("$.payload") { p = "$" + p.dropFirst("$.payload".count) }
            else if p == "$.channel" { p = "$.via" }
        }
        return p.hasPrefix("$") ? prefix + p.dropFirst() : prefix + "." + p
    }

    static func publicReason(_ error: AppendError) -> String {
        switch error {
        case .storage, .closed: return "the ledger could not commit it"
        default: return error.description
        }
    }

    /// `If-Match: "N"` → the expected stream version (`0`: no events yet; `*`: any).
    static func ifMatch(_ request: Request) throws(Problem) -> JSONValue? {
        guard var text = request.headers[.ifMatch]?.trimmingSpaces else { return nil }
        if text == "*" { return .string("any") }
        if text.hasPrefix("W/") { text = String(text.dropFirst(2)) }
        if text.hasPrefix("\""), text.hasSuffix("\""), text.count >= 2 { text = String(text.dropFirst().dropLast()) }
        guard let n = UInt32(text) else { throw Problem.badParameter("If-Match", "expected the stream version as an entity tag, e.g. \"3\" (\"0\": no events yet)") }
        return .number(String(n))
    }

    /// `Idempotency-Key`: 1 to 128 printable ASCII characters.
    static func idempotencyKey(_ request: Request) throws(Problem) -> String? {
        guard let key = request.headers[idempotencyKeyField] else { return nil }
        guard (1...128).contains(key.utf8.count), key.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F }) else {
            throw Problem.badParameter("Idempotency-Key", "expected 1 to 128 printable ASCII characters without spaces")
        }
        return key
    }
}
