import Access
import CustomerBase
import CustomerEvents
import Hummingbird
import Ledger
import LedgerJSON
import Logging
import Projections

/// The read endpoints: customer 360 and search, and the reports — each with `asOf`.
struct ReadRoutes {
    let backend: ClienteleBackend

    func add(to router: Router<ClienteleRequestContext>) {
        router.get("/v1/customers/:customer") { request, context in try await customer(request, context) }
        router.get("/v1/customers") { request, context in try await offloaded { try search(request, context) } }
        router.get("/v1/complaints") { request, context in try await offloaded { try complaints(request, context) } }
        router.get("/v1/reports/segments") { request, context in try await offloaded { try segments(request, context) } }
        router.get("/v1/reports/churn") { request, context in try await offloaded { try churn(request, context) } }
        router.get("/v1/reports/daily") { request, context in try await daily(request, context) }
        router.get("/v1/reports/care-agenda") { request, context in try await careAgenda(request, context) }
        router.get("/v1/reports/staff") { request, context in try await offloaded { try staff(request, context) } }
        router.get("/v1/reports/satisfaction") { request, context in try await offloaded { try satisfaction(request, context) } }
    }

    /// Summaries live (caught up to this service's writes) or as of a past point, and the moment they describe.
    func summaries(asOf point: AsOf?) throws -> ([(String, CustomerSummary)], Timestamp) {
        if let point { return try backend.models.customerSummaries(asOf: point) }
        return (try backend.summaries(), Timestamp.now())
    }

    func complaintRecords(asOf point: AsOf?) throws -> ([ComplaintRecord], Timestamp) {
        if let point {
            let (records, now) = try backend.models.snapshot(ComplaintStatusProjector(), asOf: point)
            return (records.map(\.1), now)
        }
        try backend.ensureModelsSeeWrites()
        var out: [ComplaintRecord] = []
        try backend.models.storedRecords(ComplaintStatusProjector()) { _, r in out.append(r); return true }
        return (out, Timestamp.now())
    }

    /// The moment a point describes, for the `asOf` member of responses.
    func asOfMember(_ point: AsOf?, _ now: Timestamp) -> (String, JSONValue) {
        switch point {
        case .sequence(let n)?: return ("asOf", .object([("sequence", .number(String(n))), ("time", .string(now.iso8601))]))
        default: return ("asOf", .object([("time", .string(now.iso8601))]))
        }
    }

    /// The `asOf` member of a response that has no moment of its own: the point's moment (the time
    /// given, or when event N was recorded), or now.
    func asOfMember(_ point: AsOf?) throws -> (String, JSONValue) {
        asOfMember(point, try point.map { try backend.models.moment(of: $0) } ?? Timestamp.now())
    }

    // MARK: Customer 360

    func customer(_ request: Request, _ context: ClienteleRequestContext) async throws -> Response {
        let principal = try context.require(.readCustomers)
        let id = try context.identifier("customer", limit: EventLimits.customer)
        let point = try request.asOf()
        var rankings: ClienteleBackend.Rankings?
        if point == nil {
            try await backend.awaitModelsSeeWrites()
            rankings = backend.readyRankings
            if rankings == nil {
                // They will be waited for: an unknown customer is a 404 at once, not after them.
                guard try backend.ledger.ledger.streamVersion(of: id) > 0 else { throw Problem.notFound("no customer '\(id)'") }
                rankings = try await backend.liveRankings()
            }
        }
        let backend = self.backend
        let rules = backend.configuration.segments
        let ranked = rankings
        let read = { @Sendable () throws -> CustomerView? in
            // As of a past point, churn risk is assessed with the segment, from the same summaries.
            var churn: ChurnAssessment?
            // `shown`: the id asked for, or the record it was merged into (the person's).
            var view = try backend.models.customerView(id, asOf: point, configuration: backend.configuration, catchingUp: false) { shown, summary, now in
                guard let point else {
                    // RFM scores are ranks among all customers, from the last ranking (at most a refresh
                    // interval old); VIP / regular / potential follows from this customer's own summary, so it
                    // is as current as the rest of the view (a purchase that makes a VIP shows at once).
                    return Segmentation.current(summary, ranked: ranked?.segments[shown], rules: rules)
                }
                let ranked = try backend.models.ranking(of: shown, summary: summary, asOf: point, configuration: backend.configuration)
                churn = ranked.churn
                return ranked.segment
            }
            if let v = view {
                // Live: the risk from the last ranking, the action from the customer as they stand
                // (a consent withdrawn since, an erasure by another process, which the key store
                // tells at once).
                if point != nil {
                    view?.churn = churn
                } else if case .erased? = try? backend.ledger.keys.key(for: v.customer) {
                    view?.churn = nil
                } else {
                    view?.churn = ranked?.churn[v.customer]?.actingOn(v.summary, at: Timestamp.now())
                }
            }
            return view
        }
        // The live view is a few reads; as of a past point it folds the log (seconds on a large ledger).
        let view = point == nil ? try read() : try await offloaded(read)
        guard let view else { throw Problem.notFound("no customer '\(id)'" + (point == nil ? "" : " as of that point")) }
        // A clerk sees the customers of their own store(s): those whose first store is one of them.
        try principal.requireStore(view.summary.homeStore)
        let showsPersonal = principal.seesPersonalData && view.personalData == .unsealed
        if showsPersonal {
            try await recordAccess(principal: principal, customers: [(view.customer, view.summary.homeStore)], fields: view.profile.map(\.0),
                                   endpoint: "GET /v1/customers/{customer}", purpose: request.query("purpose") ?? "customer view", context: context)
        }
        var json = view.json(includeProfile: principal.seesPersonalData)
        if case .object(var m) = json {
            m.append(try asOfMember(point))
            json = .object(m)
        }
        return jsonResponse(json, headers: [.cacheControl: "no-store"])
    }

    /// Appends one PersonalDataAccessed event per customer and waits until they are durable:
    /// personal data leaves the service only once its reading is on record.
    /// The event's store is where the reading is done (`Principal.readingStore`).
    func recordAccess(principal: Principal, customers: [(String, String?)], fields: [String], endpoint: String,
                      purpose: String, context: ClienteleRequestContext) async throws {
        guard !customers.isEmpty else { return }
        let reading = PersonalDataAccess(actor: principal.actor, purpose: purpose.isEmpty ? "customer view" : purpose, endpoint: endpoint, fields: fields)
        let events = reading.events(customers.map { ($0.0, principal.readingStore(homeStore: $0.1)) })
        let results = await backend.ledger.ledger.append(events, resumingOn: context.resumption)
        for r in results {
            if case .failure(let e) = r {
                context.logger.error("could not record a personal-data access", metadata: ["error": .string(e.description)])
                throw Problem.unavailable("the access to personal data could not be recorded, so it is not shown")
            }
        }
        backend.metrics.personalDataAccesses.increment(by: Int64(customers.count))
    }

    // MARK: Search

    func search(_ request: Request, _ context: ClienteleRequestContext) throws -> Response {
        let principal = try context.require(.readCustomers)
        let point = try request.asOf()
        let store = request.query("store")
        if let store { try principal.requireStore(store) }
        let segment = request.query("segment")
        let risk = try request.choice("risk", ChurnRiskBand.allCases.map(\.rawValue))
        let tier = request.query("tier")
        let limit = try request.intQuery("limit", in: 1...1000, default: 100)
        let offset = try request.intQuery("offset", in: 0...Int(Int32.max), default: 0)
        var matches: [JSONValue] = []
        var total = 0
        var segments: [String: SegmentAssignment] = [:]
        var churn: [String: ChurnAssessment] = [:]
        let segmentWanted = segment?.lowercased(), tierWanted = tier?.lowercased()
        func consider(_ id: String, _ s: CustomerSummary) {
            if let store, s.homeStore != store { return }
            if store == nil, !principal.mayAct(inStore: s.homeStore) { return }
            // The kind as the customer's summary has it now, the RFM scores from the ranking (as in the 360 view).
            let assigned = segmentWanted == nil ? nil : Segmentation.current(s, ranked: segments[id], rules: backend.configuration.segments)
            if let segmentWanted, let a = assigned {
                guard a.kind.rawValue.lowercased() == segmentWanted || a.rfmSegment?.lowercased() == segmentWanted else { return }
            }
            if let risk, churn[id]?.band.rawValue != risk { return }
            let t = backend.configuration.tier(forSpend: s.netSpend)
            if let tierWanted, t.name.lowercased() != tierWanted { return }
            total += 1
            guard total > offset, matches.count < limit else { return }
            var m: [(String, JSONValue)] = [("customer", .string(id)), ("homeStore", s.homeStore.map { .string($0) } ?? .null),
                                            ("tier", .string(t.name)), ("netSpend", .number(String(s.netSpend))),
                                            ("currency", .string(s.currency ?? "CNY")), ("receipts", .number(String(s.receipts)))]
            if let a = assigned { m.append(("segment", .string(a.kind.rawValue))) }
            if let c = churn[id] { m.append(("risk", .string(c.band.rawValue))) }
            matches.append(.object(m))
        }
        // Customers in id order (byte order of the ids, the stored models' key order).
        let now: Timestamp
        if let point {
            let (all, then) = try backend.models.customerSummaries(asOf: point)
            now = then
            if segment != nil { segments = Segmentation.assign(all, now: now, rules: backend.configuration.segments) }
            if risk != nil {
                for a in (try? ChurnModel.assess(all, now: now, configuration: backend.configuration))?.assessments ?? [] { churn[a.customer] = a }
            }
            for (id, s) in all.sorted(by: { $0.0.utf8.lexicographicallyPrecedes($1.0.utf8) }) { consider(id, s) }
        } else {
            // Live: one pass over the stored records in key order, nothing gathered but the page.
            now = Timestamp.now()
            if segment != nil { segments = try backend.segments() }
            if risk != nil { churn = try backend.churn() }
            try backend.visitSummaries(consider)
        }
        return jsonResponse(.object([("customers", .array(matches)), ("total", .number(String(total))),
                                     ("limit", .number(String(limit))), ("offset", .number(String(offset))), asOfMember(point, now)]))
    }

    // MARK: Reports

    func complaints(_ request: Request, _ context: ClienteleRequestContext) throws -> Response {
        let principal = try context.require(.readReports)
        let point = try request.asOf()
        let status = ComplaintQueue.StatusFilter(rawValue: try request.choice("status", ComplaintQueue.StatusFilter.allCases.map(\.rawValue), default: "open")!)!
        let breached = try request.choice("breached", ["true", "false"], default: "false") == "true"
        let escalationDue = try request.choice("escalationDue", ["true", "false"], default: "false") == "true"
        let store = request.query("store")
        if let store { try principal.requireStore(store) }
        let limit = try request.intQuery("limit", in: 1...10_000, default: 500)
        let (records, now) = try complaintRecords(asOf: point)
        let visible = records.filter { r in (store == nil || r.store == store) && principal.mayAct(inStore: r.store) }
        let rows = ComplaintQueue.rows(visible, now: now, sla: backend.configuration.sla, status: status, breachedOnly: breached,
                                       escalationDueOnly: escalationDue)
        return jsonResponse(.object([("complaints", .array(rows.prefix(limit).map(\.json))), ("total", .number(String(rows.count))), asOfMember(point, now)]))
    }

    func segments(_ request: Request, _ context: ClienteleRequestContext) throws -> Response {
        _ = try context.require(.readReports)
        let point = try request.asOf()
        let (all, now) = try summaries(asOf: point)
        let rules = backend.configuration.segments
        let ranked = point == nil ? try backend.segments() : Segmentation.assign(all, now: now, rules: rules)
        var byKind: [String: Int] = [:], byRFM: [String: Int] = [:]
        for (id, summary) in all {
            // The kind from each summary as it stands (as the 360 view and search show it), the RFM names from the ranking.
            let a = Segmentation.current(summary, ranked: ranked[id], rules: rules)
            byKind[a.kind.rawValue, default: 0] += 1
            if let s = a.rfmSegment { byRFM[s, default: 0] += 1 }
        }
        let kinds = SegmentAssignment.Kind.allCases.map { k -> JSONValue in
            .object([("segment", .string(k.rawValue)), ("customers", .number(String(byKind[k.rawValue] ?? 0)))])
        }
        let rfm = rules.rfmSegmentNames(counted: byRFM.keys).map { k -> JSONValue in
            .object([("segment", .string(k)), ("customers", .number(String(byRFM[k] ?? 0)))])
        }
        return jsonResponse(.object([("customers", .number(String(all.count))), ("segments", .array(kinds)), ("rfm", .array(rfm)), asOfMember(point, now)]))
    }

    func churn(_ request: Request, _ context: ClienteleRequestContext) throws -> Response {
        let principal = try context.require(.readReports)
        let point = try request.asOf()
        let risk = try request.choice("risk", ChurnRiskBand.allCases.map(\.rawValue))
        let limit = try request.intQuery("limit", in: 1...10_000, default: 100)
        let (all, now) = try summaries(asOf: point)
        var assessments: [ChurnAssessment]
        var unavailable: String?
        if point == nil {
            // From the last ranking: the customers erased or no longer to be profiled since are
            // left out, and each action follows the consents of the moment (below).
            let ranked = try backend.churn()
            assessments = []
            assessments.reserveCapacity(ranked.count)
            for (id, s) in all { if let a = ranked[id]?.actingOn(s, at: now) { assessments.append(a) } }
        } else {
            do { assessments = try ChurnModel.assess(all, now: now, configuration: backend.configuration).assessments } catch {
                assessments = []; unavailable = "\(error)"
            }
        }
        if assessments.isEmpty && all.count > 0 && unavailable == nil { unavailable = "the churn model cannot be fitted on this ledger yet" }
        var homes: [String: String] = [:]
        if principal.role == .clerk { for (k, s) in all { homes[k] = s.homeStore } }
        let rows = assessments.filter { a in (risk == nil || a.band.rawValue == risk) && (principal.role != .clerk || principal.mayAct(inStore: homes[a.customer])) }
            .sorted { ($0.risk, $1.customer) > ($1.risk, $0.customer) }
        var listed = rows
        if point == nil {
            // An erasure by another process is in the log at once (its `CustomerErased`, by the
            // index of types: few), in the models at their next catch-up.
            var erased = Set<String>()
            try backend.ledger.ledger.scan(EventQuery(.type("CustomerErased"))) { e in erased.insert(e.customer); return true }
            if !erased.isEmpty { listed.removeAll { erased.contains($0.customer) } }
        }
        var m: [(String, JSONValue)] = [("customers", .array(listed.prefix(limit).map(\.json))), ("total", .number(String(listed.count))), asOfMember(point, now)]
        if let unavailable { m.append(("modelUnavailable", .string(unavailable))) }
        return jsonResponse(.object(m))
    }

    func daily(_ request: Request, _ context: ClienteleRequestContext) async throws -> Response {
        let principal = try context.require(.readReports)
        guard let store = request.query("store"), EventLimits.store.contains(store.utf8.count) else {
            throw Problem.badParameter("store", "is required, 1 to \(EventLimits.store.upperBound) bytes")
        }
        try principal.requireStore(store)
        let point = try request.asOf()
        // Without a date: the store's today (in the zone of its opening hours), or the day of an asOf time.
        var at = Timestamp.now().microseconds
        if case .time(let t)? = point { at = t.microseconds }
        let date = request.query("date") ?? backend.configuration.sla.localDate(store: store, at: at)
        guard date.utf8.count == 10, Timestamp(iso8601: date + "T00:00:00Z") != nil else { throw Problem.badParameter("date", "expected YYYY-MM-DD") }
        if let refusal = try ReportedStores.refusal(of: store, in: backend.ledger.ledger, named: "the ledger") { throw Problem.notFound(refusal) }
        if point == nil { try await backend.awaitModelsSeeWrites() }
        let models = backend.models, sla = backend.configuration.sla
        let read = { @Sendable () throws -> (DailySummary, [String]) in
            let day = try models.dailySummary(store: store, date: date, asOf: point, catchingUp: false)
            return (day, try models.breachedComplaints(store: store, date: date, asOf: point, sla: sla, catchingUp: false))
        }
        // Off the event loop: the day's breaches read every complaint of the store (live), or folds
        // of the log as of a past point (seconds on a large ledger).
        let (day, breached) = try await offloaded(read)
        var json = day.json
        if case .object(var m) = json { m.append(("breachedComplaints", .array(breached.map { .string($0) }))); json = .object(m) }
        return jsonResponse(.object([("store", .string(store)), ("date", .string(date)), ("summary", json), try asOfMember(point)]))
    }

    func careAgenda(_ request: Request, _ context: ClienteleRequestContext) async throws -> Response {
        let principal = try context.require(.readCustomers)
        let point = try request.asOf()
        let limit = try request.intQuery("limit", in: 1...10_000, default: 1_000)
        let offset = try request.intQuery("offset", in: 0...Int(Int32.max), default: 0)
        if point == nil { try await backend.awaitModelsSeeWrites() }
        // The week starts on the day of the point (`careAgendaStart`), as for `clientele care-agenda`.
        let models = backend.models, configuration = backend.configuration
        let agenda = try await offloaded {
            try models.careAgenda(asOf: point, configuration: configuration) { _, s in principal.mayAct(inStore: s.homeStore) }
        }
        // One page of the tasks (birthdays first, then callbacks, then win-back candidates); only the
        // birthdays on the page leave the service, so only their reading is recorded.
        let tasks = agenda.tasks
        let page = min(offset, tasks.count)..<min(offset + limit, tasks.count)
        let shown = agenda.birthdays.indices.clamped(to: page).map { agenda.birthdays[$0].customer }
        try await recordAccess(principal: principal, customers: shown.map { ($0, agenda.homeStores[$0]) }, fields: ["birthday"],
                               endpoint: "GET /v1/reports/care-agenda", purpose: "care agenda", context: context)
        var m: [(String, JSONValue)] = [("tasks", .array(Array(tasks[page]))), ("total", .number(String(tasks.count))),
                                        ("limit", .number(String(limit))), ("offset", .number(String(offset))), asOfMember(point, agenda.start)]
        if let why = agenda.winBackUnavailable { m.append(("winBackUnavailable", .string(why))) }
        return jsonResponse(.object(m), headers: [.cacheControl: "no-store"])
    }

    func staff(_ request: Request, _ context: ClienteleRequestContext) throws -> Response {
        _ = try context.require(.readReports)
        let month = try Self.month(request)
        let point = try request.asOf()
        let (records, now) = try complaintRecords(asOf: point)
        let staff = ServiceReports.staff(complaints: records, period: month, at: now.microseconds, sla: backend.configuration.sla)
        var m: [(String, JSONValue)] = [("staff", .array(staff.map(\.json))), asOfMember(point, now)]
        if let star = ServiceReports.serviceStar(of: staff) { m.append(("serviceStar", .string(star))) }
        return jsonResponse(.object(m))
    }

    func satisfaction(_ request: Request, _ context: ClienteleRequestContext) throws -> Response {
        _ = try context.require(.readReports)
        let month = try Self.month(request)
        let by = try request.choice("by", ["store", "staff", "category", "month"], default: "store")!
        let point = try request.asOf()
        let (records, now) = try complaintRecords(asOf: point)
        var byId: [String: ComplaintRecord] = [:]
        for r in records { byId[r.complaint] = r }
        let groups = try ServiceReports.satisfaction(ledger: backend.ledger, complaints: byId, by: by, period: month, asOf: point)
        return jsonResponse(.object([("by", .string(by)), ("groups", .array(groups.map { $0.1.json(dimension: by, key: $0.0) })), asOfMember(point, now)]))
    }

    static func month(_ request: Request) throws(Problem) -> String? {
        guard let m = request.query("month") else { return nil }
        guard ServiceReports.isMonth(m) else { throw Problem.badParameter("month", "expected YYYY-MM") }
        return m
    }
}
