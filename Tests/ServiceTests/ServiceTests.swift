import HTTPTypes
import LedgerJSON
import Service
import Testing
import Ledger

let registerBody = #"{"customer":"C-1","store":"S1","name":"王芳","phone":"13800138001","birthday":"1991-03-14"}"#

@Suite("The HTTP service, against a live server on 127.0.0.1", .serialized)
struct ServiceTests {
    @Test("health and metrics answer without a token")
    func operations() async throws {
        try await ServerFixture.withServer { c in
            let health = try await c.get("/healthz")
            #expect(health.status == .ok)
            #expect(health.json["status"] == .string("ok"))
            _ = try await c.post("/v1/customers", as: "clerk", registerBody)
            let metrics = try await c.get("/metrics")
            #expect(metrics.status == .ok)
            #expect(metrics.text.contains("http_requests_total"))
            #expect(metrics.text.contains("clientele_events_appended_total 1"))
            #expect(metrics.text.contains("clientele_group_commit_mean_batch_size"))
            #expect(metrics.text.contains("clientele_projection_lag_events"))
            #expect(health.headers[HTTPField.Name("X-Request-Id")!] != nil)
        }
    }

    @Test("no token, a bad token or a revoked one: 401 problem documents")
    func unauthenticated() async throws {
        try await ServerFixture.withServer { c in
            let none = try await c.get("/v1/customers/C-1")
            #expect(none.status == .unauthorized && none.isProblem)
            #expect(none.headers[.wwwAuthenticate] != nil)
            let bad = try await c.request(.get, "/v1/customers/C-1", token: "clt_" + String(repeating: "0", count: 64))
            #expect(bad.status == .unauthorized && bad.isProblem)
            let malformed = try await c.request(.get, "/v1/reports/segments", headers: [.authorization: "Basic abc"])
            #expect(malformed.status == .unauthorized)
            let before = try c.head()
            let write = try await c.post("/v1/customers", registerBody)
            #expect(write.status == .unauthorized)
            #expect(try c.head() == before)
        }
    }

    @Test("register a customer, read the 360 view, and the read is on record")
    func customer360() async throws {
        try await ServerFixture.withServer { c in
            let created = try await c.post("/v1/customers", as: "clerk", registerBody)
            #expect(created.status == .created, "\(created.text)")
            #expect(created.json["streamVersion"] == .number("1"))
            #expect(created.headers[.location] == "/v1/customers/C-1")
            let again = try await c.post("/v1/customers", as: "clerk", registerBody)
            #expect(again.status == .conflict && again.isProblem)

            let view = try await c.get("/v1/customers/C-1", as: "clerk")
            #expect(view.status == .ok, "\(view.text)")
            #expect(view.json["profile"]?["name"] == .string("王芳"))
            #expect(view.json["summary"] != nil && view.json["tier"] != nil && view.json["asOf"] != nil)

            // Another store's clerk and the analyst may not see it.
            #expect(try await c.get("/v1/customers/C-1", as: "clerk2").status == .forbidden)
            #expect(try await c.get("/v1/customers/C-1", as: "analyst").status == .forbidden)
            #expect(try await c.get("/v1/customers/C-404", as: "manager").status == .notFound)

            // The read was recorded: who, which customer, which endpoint.
            let accesses = try await c.get("/v1/audit/customers/C-1/accesses", as: "compliance")
            #expect(accesses.status == .ok)
            guard case .array(let list)? = accesses.json["accesses"] else { Issue.record("no accesses"); return }
            #expect(list.count == 1)
            #expect(list.first?["actor"] == .string("token:clerk"))
            #expect(list.first?["store"] == .string("S1"), "a clerk reads at their store")
            #expect(list.first?["endpoint"] == .string("GET /v1/customers/{customer}"))

            // A manager reads for the whole chain: the record belongs to no store's day.
            #expect(try await c.get("/v1/customers/C-1", as: "manager").status == .ok)
            let both = try await c.get("/v1/audit/customers/C-1/accesses", as: "compliance")
            guard case .array(let records)? = both.json["accesses"], records.count == 2 else { Issue.record("\(both.text)"); return }
            #expect(records[1]["actor"] == .string("token:manager") && records[1]["store"] == .string("chain"))

            // As of sequence 1 (the registration only).
            let past = try await c.get("/v1/customers/C-1?asOf=1", as: "manager")
            #expect(past.status == .ok)
            #expect(try await c.get("/v1/customers/C-1?asOf=yesterday", as: "manager").status == .badRequest)
        }
    }

    @Test("the 360 of a record merged into another is the person's, and the read is on record for the person shown")
    func mergedCustomer() async throws {
        try await ServerFixture.withServer { c in
            #expect(try await c.post("/v1/customers", as: "clerk", registerBody).status == .created)
            let second = #"{"customer":"C-2","store":"S1","name":"王芳","phone":"13800138001"}"#
            #expect(try await c.post("/v1/customers", as: "clerk", second).status == .created)
            let purchase = eventJSON(type: "PurchaseRecorded", customer: "C-2", payload: """
                {"receipt":"R-9","lines":[{"sku":"A","category":"apparel","quantity":1,"unitPrice":{"minor":10000,"currency":"CNY"}}],\
                "total":{"minor":10000,"currency":"CNY"}}
                """)
            #expect(try await c.post("/v1/events", as: "manager", purchase).status == .created)
            let merge = eventJSON(type: "CustomersMerged", customer: "C-1", payload: #"{"mergedCustomer":"C-2","reason":"same phone"}"#)
            let merged = try await c.post("/v1/events", as: "manager", merge)
            #expect(merged.status == .created, "\(merged.text)")
            let view = try await c.get("/v1/customers/C-2", as: "clerk")
            #expect(view.status == .ok, "\(view.text)")
            #expect(view.json["customer"] == .string("C-1") && view.json["requested"] == .string("C-2"), "\(view.text)")
            #expect(view.json["summary"]?["netSpend"] == .number("10000") && view.json["loyalty"]?["points"] == .number("100"), "\(view.text)")
            #expect(view.json["profile"]?["birthday"] == .string("1991-03-14"), "the survivor's profile: \(view.text)")
            let survivor = try await c.get("/v1/customers/C-1", as: "clerk")
            #expect(survivor.json["mergedRecords"] == .array([.string("C-2")]), "\(survivor.text)")
            // Both reads showed C-1's personal data: both are on C-1's record.
            let accesses = try await c.get("/v1/audit/customers/C-1/accesses", as: "compliance")
            guard case .array(let list)? = accesses.json["accesses"] else { Issue.record("\(accesses.text)"); return }
            #expect(list.count == 2, "\(accesses.text)")
        }
    }

    @Test("a customer id is one text in whatever Unicode spelling a client sends; a raw event must be in NFC")
    func canonicalIds() async throws {
        try await ServerFixture.withServer { c in
            // A clerk types the id with a combining accent: it is registered composed, and its
            // Location names it percent-encoded.
            let body = #"{"customer":"Jose\#u{301}-7","store":"S1","name":"José"}"#
            let created = try await c.post("/v1/customers", as: "clerk", body)
            #expect(created.status == .created, "\(created.text)")
            #expect(created.headers[.location] == "/v1/customers/Jos%C3%A9-7")
            for spelling in ["Jos%C3%A9-7", "Jose%CC%81-7"] {
                let view = try await c.get("/v1/customers/\(spelling)", as: "clerk")
                #expect(view.status == .ok, "\(spelling): \(view.text)")
                #expect(view.json["customer"] == .string("Jos\u{E9}-7"))
            }
            let visit = try await c.post("/v1/customers/Jose%CC%81-7/visits", as: "clerk", #"{"kind":"walk-in","store":"S1"}"#)
            #expect(visit.status == .created, "\(visit.text)")
            #expect(visit.json["streamVersion"] == .number("2"), "the visit went to the registered stream")
            // No occurredAt: now, on the store's clock (the default opening hours' +08:00), not in UTC.
            let stamped = try #require(try c.fixture.backend.ledger.ledger.event(try c.head())?.occurredAt)
            #expect(stamped.offsetMinutes == 480 && abs(stamped.microseconds - Timestamp.now().microseconds) < 60_000_000, "\(stamped.iso8601)")
            // A raw event says exactly what it appends: another spelling is refused, by field.
            let before = try c.head()
            let raw = try await c.post("/v1/events", as: "manager", eventJSON(type: "VisitRecorded", customer: "Jose\u{301}-7", payload: #"{"kind":"walk-in"}"#))
            #expect(raw.status == .unprocessableContent && raw.isProblem, "\(raw.text)")
            #expect(raw.json["path"] == .string("$.customer"), "\(raw.text)")
            #expect(try c.head() == before)
            for broken in ["%zz", "%E7%8E", "C%4"] {
                let r = try await c.get("/v1/customers/\(broken)", as: "clerk")
                #expect(r.status == .badRequest && r.isProblem, "\(broken): \(r.status)")
            }
        }
    }

    @Test("a purchase posted after the models were built shows in the 360 view's loyalty points at once")
    func loyaltyFollowsWrites() async throws {
        try await ServerFixture.withServer { c in
            #expect(try await c.post("/v1/customers", as: "clerk", registerBody).status == .created)
            // The first read builds every stored model; the loyalty model must then follow writes.
            let before = try await c.get("/v1/customers/C-1", as: "manager")
            #expect(before.json["loyalty"]?["points"] == .number("0"), "\(before.text)")
            let purchase = eventJSON(type: "PurchaseRecorded", customer: "C-1", payload: """
                {"receipt":"R-1","lines":[{"sku":"TS-221-M","name":"Linen shirt","category":"apparel","quantity":1,\
                "unitPrice":{"minor":29900,"currency":"CNY"},"discount":{"minor":0,"currency":"CNY"}}],\
                "total":{"minor":29900,"currency":"CNY"},"payment":"wechat-pay","cashier":"staff-li"}
                """)
            let posted = try await c.post("/v1/events", as: "manager", purchase)
            #expect(posted.status == .created, "\(posted.text)")
            let after = try await c.get("/v1/customers/C-1", as: "manager")
            #expect(after.json["summary"]?["netSpend"] == .number("29900"), "\(after.text)")
            #expect(after.json["loyalty"]?["points"] == .number("299"), "\(after.text)")
            #expect(after.json["loyalty"]?["earned"] == .number("299"))
        }
    }

    @Test("reading a customer (an access record) never makes a writer's If-Match stale; a change does")
    func readsKeepVersions() async throws {
        try await ServerFixture.withServer { c in
            let created = try await c.post("/v1/customers", as: "manager", registerBody)
            #expect(created.status == .created && created.json["streamVersion"] == .number("1"), "\(created.text)")
            for _ in 0..<2 {
                let view = try await c.get("/v1/customers/C-1", as: "manager")
                #expect(view.json["personalData"] == .string("unsealed"), "\(view.text)")
            }
            let visit = eventJSON(type: "VisitRecorded", customer: "C-1", payload: #"{"kind":"walk-in"}"#)
            // The two reads' access records take no place in the stream: version 1 is still the last change.
            #expect(try c.fixture.backend.ledger.ledger.streamVersion(of: "C-1") == 1)
            var recorded = 0
            try c.fixture.backend.ledger.ledger.scan(.customer("C-1")) { e in
                if e.type == "PersonalDataAccessed" { recorded += 1 }
                return true
            }
            #expect(recorded == 2, "both reads were recorded, and the customer's scan finds them")
            let fresh = try await c.post("/v1/events", as: "manager", visit, headers: [.ifMatch: "\"1\""])
            #expect(fresh.status == .created, "\(fresh.text)")
            #expect(fresh.headers[.eTag] == "\"2\"")
            let before = try c.head() - 1
            let stale = try await c.post("/v1/events", as: "manager", visit, headers: [.ifMatch: "\"1\""])
            #expect(stale.status == .conflict && stale.isProblem, "\(stale.text)")
            #expect(try c.head() == before + 1)
        }
    }

    @Test("a quiet service files its access records per customer in the background; an audit of the customer lists them")
    func filesAccessRecordsWhenQuiet() async throws {
        try await ServerFixture.withServer { c in
            let created = try await c.post("/v1/customers", as: "manager", registerBody)
            #expect(created.status == .created, "\(created.text)")
            for _ in 0..<3 { _ = try await c.get("/v1/customers/C-1", as: "manager") }
            let ledger = c.fixture.backend.ledger.ledger
            func entries() throws -> Int { try ledger.stats().entriesByDatabase.first { $0.name == "by_observed" }?.entries ?? -1 }
            // The background round runs every 500 ms; the service is quiet now.
            var waited = 0
            while try entries() < 3 && waited < 100 {
                try await Task.sleep(for: .milliseconds(100))
                waited += 1
            }
            #expect(try entries() == 3, "the three reads' access records, filed under C-1")
            let audit = try await c.get("/v1/audit/customers/C-1/accesses", as: "compliance")
            #expect(audit.status == .ok, "\(audit.text)")
            guard case .array(let listed)? = audit.json["accesses"] else { Issue.record("\(audit.text)"); return }
            #expect(listed.count == 3, "\(audit.text)")
        }
    }

    @Test("POST /v1/events: one event, a batch, Idempotency-Key retries and If-Match conflicts")
    func events() async throws {
        try await ServerFixture.withServer { c in
            let visit = eventJSON(type: "VisitRecorded", customer: "C-2", payload: #"{"kind":"walk-in"}"#)
            let first = try await c.post("/v1/events", as: "manager", visit, headers: [HTTPField.Name("Idempotency-Key")!: "k-1"])
            #expect(first.status == .created, "\(first.text)")
            let retry = try await c.post("/v1/events", as: "manager", visit, headers: [HTTPField.Name("Idempotency-Key")!: "k-1"])
            #expect(retry.status == .ok)
            #expect(retry.json["sequence"] == first.json["sequence"])
            #expect(retry.headers[HTTPField.Name("Idempotent-Replayed")!] == "true")
            #expect(try c.head() == 1)

            // If-Match: the stream is at version 1.
            let stale = try await c.post("/v1/events", as: "manager", visit, headers: [.ifMatch: "\"5\""])
            #expect(stale.status == .conflict && stale.isProblem)
            let fresh = try await c.post("/v1/events", as: "manager", visit, headers: [.ifMatch: "\"1\""])
            #expect(fresh.status == .created)
            #expect(fresh.headers[.eTag] == "\"2\"")

            let batch = "[" + visit + "," + eventJSON(type: "VisitRecorded", customer: "C-3", payload: #"{"kind":"served-at-desk"}"#) + "]"
            let both = try await c.post("/v1/events", as: "manager", batch)
            #expect(both.status == .created)
            if case .array(let items)? = both.json["events"] { #expect(items.count == 2) } else { Issue.record("no events array") }
            #expect(try c.head() == 4)

            // A clerk writes in their own store only, and only as themselves.
            let other = eventJSON(type: "VisitRecorded", customer: "C-2", store: "S2", actor: "token:clerk", payload: #"{"kind":"walk-in"}"#)
            #expect(try await c.post("/v1/events", as: "clerk", other).status == .forbidden)
            let spoof = eventJSON(type: "VisitRecorded", customer: "C-2", store: "S1", actor: "staff-zhang", payload: #"{"kind":"walk-in"}"#)
            #expect(try await c.post("/v1/events", as: "clerk", spoof).status == .forbidden)
            #expect(try await c.post("/v1/events", as: "analyst", visit).status == .forbidden)
            #expect(try c.head() == 4)
        }
    }

    @Test("malformed JSON, wrong types, unknown fields and oversized bodies: 4xx problems, nothing written")
    func badInput() async throws {
        try await ServerFixture.withServer(maxBodyBytes: 4096) { c in
            let cases: [(String, String, HTTPResponse.Status, String?)] = [
                ("/v1/events", "{not json", .badRequest, "$"),
                ("/v1/events", "42", .unprocessableContent, "$"),
                ("/v1/events", eventJSON(type: "VisitRecorded", customer: "C-1", payload: #"{"kind":7}"#), .unprocessableContent, "$.payload.kind"),
                ("/v1/events", eventJSON(type: "VisitRecorded", customer: "C-1", payload: #"{"kind":"walk-in","shoeSize":42}"#), .unprocessableContent, "$.payload.shoeSize"),
                ("/v1/events", eventJSON(type: "VisitRecorded", customer: "C-1", payload: #"{"kind":"walk-in"}"#, extra: #","color":"red""#), .unprocessableContent, "$.color"),
                ("/v1/events", eventJSON(type: "NoSuchEvent", customer: "C-1", payload: "{}"), .unprocessableContent, "$.type"),
                ("/v1/events", "[" + eventJSON(type: "VisitRecorded", customer: "C-1", payload: #"{"kind":"walk-in"}"#) + ","
                    + eventJSON(type: "VisitRecorded", customer: "C-1", payload: #"{"kind":"sleepwalk"}"#) + "]", .unprocessableContent, "$[1].payload.kind"),
                ("/v1/customers", #"{"customer":"C-9","store":"S1","phone":12345}"#, .unprocessableContent, "$.phone"),
                ("/v1/customers", #"{"customer":"C-9","store":"S1","favouriteColour":"red"}"#, .unprocessableContent, "$.favouriteColour"),
                ("/v1/customers/C-9/visits", #"{"store":"S1"}"#, .unprocessableContent, nil),
                ("/v1/events", "[" + String(repeating: eventJSON(type: "VisitRecorded", customer: "C-1", payload: #"{"kind":"walk-in"}"#) + ",", count: 40) + "{}]", .contentTooLarge, nil),
            ]
            for (uri, body, status, path) in cases {
                let reply = try await c.post(uri, as: "manager", body)
                #expect(reply.status == status, "\(uri) \(body.prefix(80)): \(reply.status) \(reply.text)")
                #expect(reply.isProblem, "\(reply.text)")
                if let path { #expect(reply.json["path"] == .string(path), "\(reply.text)") }
                #expect(!reply.text.contains("/work/") && !reply.text.contains(".swift"))
            }
            let wrongType = try await c.request(.post, "/v1/events", as: "manager", body: "x", headers: [.contentType: "text/plain"])
            #expect(wrongType.status == .unsupportedMediaType)
            #expect(try c.head() == 0)
            // Ids longer than the ledger's limits never reach an index lookup (the fuzzer found this one).
            let long = String(repeating: "x", count: 600)
            for uri in ["/v1/customers/\(long)", "/v1/audit/customers/\(long)/accesses", "/v1/audit/customers/\(long)/events",
                        "/v1/audit/actors/\(long)/events"] {
                let r = try await c.get(uri, as: "admin")
                #expect(r.status == .notFound && r.isProblem, "\(uri.prefix(30)): \(r.status)")
            }
            #expect(try await c.post("/v1/customers/\(long)/visits", as: "admin", #"{"kind":"walk-in","store":"S1"}"#).status == .notFound)
            #expect(try await c.get("/v1/reports/daily?store=\(long)", as: "admin").status == .badRequest)
            let unknown = try await c.get("/v1/nowhere", as: "manager")
            #expect(unknown.status == .notFound && unknown.isProblem)
        }
    }

    @Test("a care contact is refused with the reason when consent does not allow the channel")
    func consent() async throws {
        try await ServerFixture.withServer { c in
            #expect(try await c.post("/v1/customers", as: "clerk", registerBody).status == .created)
            let sms = #"{"kind":"birthday-greeting","channel":"sms","outcome":"sent"}"#
            let before = try c.head()
            let refused = try await c.post("/v1/customers/C-1/care-contacts", as: "clerk", sms)
            #expect(refused.status == .unprocessableContent && refused.isProblem)
            #expect(refused.json["type"] == .string("/problems/consent-refused"))
            #expect(refused.json["detail"]?.stringValue?.contains("no marketing consent") == true, "\(refused.text)")
            #expect(try c.head() == before)
            let grant = eventJSON(type: "ConsentGranted", customer: "C-1", actor: "token:clerk",
                                  payload: #"{"purpose":"marketing","channel":"sms","policyVersion":"2026-01"}"#)
            #expect(try await c.post("/v1/events", as: "clerk", grant).status == .created)
            let sent = try await c.post("/v1/customers/C-1/care-contacts", as: "clerk", sms)
            #expect(sent.status == .created, "\(sent.text)")
            // A withdrawal after some reads (access records in the stream) is seen at once.
            for _ in 0..<3 { #expect(try await c.get("/v1/customers/C-1", as: "clerk").status == .ok) }
            let withdraw = eventJSON(type: "ConsentWithdrawn", customer: "C-1", actor: "token:clerk",
                                     payload: #"{"purpose":"marketing","channel":"sms","policyVersion":"2026-01"}"#)
            #expect(try await c.post("/v1/events", as: "clerk", withdraw).status == .created)
            let afterWithdrawal = try await c.post("/v1/customers/C-1/care-contacts", as: "clerk", sms)
            #expect(afterWithdrawal.status == .unprocessableContent && afterWithdrawal.json["detail"]?.stringValue?.contains("withdrawn") == true,
                    "\(afterWithdrawal.text)")
            // In person at the counter needs no marketing consent.
            #expect(try await c.post("/v1/customers/C-1/care-contacts", as: "clerk", #"{"kind":"invitation","channel":"counter"}"#).status == .created)
        }
    }

    @Test("a complaint moves through its steps and shows in the queue and the reports")
    func complaintLoop() async throws {
        try await ServerFixture.withServer { c in
            #expect(try await c.post("/v1/customers", as: "clerk", registerBody).status == .created)
            let visit = try await c.post("/v1/customers/C-1/visits", as: "clerk", #"{"kind":"walk-in"}"#)
            #expect(visit.status == .created, "\(visit.text)")
            let filed = try await c.post("/v1/customers/C-1/complaints", as: "clerk",
                                         #"{"complaint":"CP-1","category":"product-quality","severity":"medium","description":"Seam opened"}"#)
            #expect(filed.status == .created, "\(filed.text)")
            #expect(filed.headers[.location] == "/v1/complaints/CP-1")
            for (step, body) in [("acknowledge", #"{"note":"sorry"}"#), ("verify", "{}"), ("action", #"{"action":"replace"}"#),
                                 ("resolve", #"{"resolution":"replaced"}"#)] {
                let r = try await c.post("/v1/complaints/CP-1/\(step)", as: "clerk", body)
                #expect(r.status == .created, "\(step): \(r.text)")
            }
            #expect(try await c.post("/v1/complaints/CP-1/teleport", as: "clerk", "{}").status == .notFound)
            #expect(try await c.post("/v1/complaints/CP-404/acknowledge", as: "clerk", "{}").status == .notFound)
            #expect(try await c.post("/v1/complaints/CP-1/close", as: "clerk2", "{}").status == .forbidden)
            // Resolved: the care agenda asks for its callback (回访), until one is logged.
            func callbackTasks() async throws -> Int {
                let agenda = try await c.get("/v1/reports/care-agenda", as: "clerk")
                #expect(agenda.status == .ok, "\(agenda.text)")
                guard case .array(let tasks)? = agenda.json["tasks"] else { return -1 }
                return tasks.filter { $0["task"] == .string("callback") }.count
            }
            #expect(try await callbackTasks() == 1)
            let callback = try await c.post("/v1/customers/C-1/callbacks", as: "clerk", #"{"reached":true,"csat":5,"nps":9,"complaint":"CP-1","purpose":"complaint"}"#)
            #expect(callback.status == .created, "\(callback.text)")
            #expect(try await callbackTasks() == 0)

            let queue = try await c.get("/v1/complaints?status=all", as: "manager")
            #expect(queue.status == .ok)
            guard case .array(let rows)? = queue.json["complaints"] else { Issue.record("no rows: \(queue.text)"); return }
            #expect(rows.first?["complaint"] == .string("CP-1"))
            #expect(rows.first?["status"] != nil)
            #expect(try await c.get("/v1/complaints?status=all", as: "clerk2").json["total"] == .number("0"))
            #expect(try await c.get("/v1/complaints?status=sideways", as: "manager").status == .badRequest)

            let closed = try await c.post("/v1/complaints/CP-1/close", as: "clerk", #"{"note":"callback done"}"#)
            #expect(closed.status == .created)

            let staff = try await c.get("/v1/reports/staff", as: "manager")
            #expect(staff.status == .ok && staff.json["serviceStar"] == .string("token:clerk"), "\(staff.text)")
            let satisfaction = try await c.get("/v1/reports/satisfaction?by=store", as: "analyst")
            #expect(satisfaction.status == .ok)
            if case .array(let groups)? = satisfaction.json["groups"] { #expect(groups.first?["csat"] == .number("5.000")) }
            // As of the sequence before the callback, there was no satisfaction to report yet.
            let before = try await c.get("/v1/reports/satisfaction?by=store&asOf=3", as: "analyst")
            #expect(before.status == .ok && before.json["groups"] == .array([]), "\(before.text)")
            // The complaint was filed today in the store's zone (+08:00, the default hours), not UTC's.
            let storeToday = Timestamp(microseconds: Timestamp.now().microseconds, offsetMinutes: 480).iso8601.prefix(10)
            let daily = try await c.get("/v1/reports/daily?store=S1&date=" + storeToday, as: "clerk")
            #expect(daily.status == .ok)
            #expect(daily.json["summary"]?["complaintsOpened"] == .number("1"), "\(daily.text)")
        }
    }

    @Test("the daily report refuses a store the ledger has never seen, and without a date reports the store's day")
    func dailyStoreAndDay() async throws {
        try await ServerFixture.withServer { c in
            #expect(try await c.post("/v1/customers", as: "manager", registerBody).status == .created)
            // A typo (S-1 for S1) is a 404 that names the stores there are, not an all-zero day.
            // The manager's reading of C-1 is recorded at the pseudo-store "chain": no shop, so
            // neither listed among the stores nor reported on.
            #expect(try await c.get("/v1/customers/C-1", as: "manager").status == .ok)
            let typo = try await c.get("/v1/reports/daily?store=S-1", as: "manager")
            #expect(typo.status == .notFound && typo.text.contains("its stores: S1\"") && !typo.text.contains("chain"), "\(typo.text)")
            let chain = try await c.get("/v1/reports/daily?store=chain", as: "manager")
            #expect(chain.status == .notFound && chain.text.contains("'chain' is no shop"), "\(chain.text)")
            // 23:30 UTC on 5 January is 07:30 on the 6th at a store on +08:00 (the default hours).
            let morning = try await c.get("/v1/reports/daily?store=S1&asOf=2026-01-05T23:30:00Z", as: "manager")
            #expect(morning.status == .ok && morning.json["date"] == .string("2026-01-06"), "\(morning.text)")
            func localDate() -> JSONValue { .string(String(Timestamp(microseconds: Timestamp.now().microseconds, offsetMinutes: 480).iso8601.prefix(10))) }
            let before = localDate()
            let today = try await c.get("/v1/reports/daily?store=S1", as: "manager")
            #expect([before, localDate()].contains(today.json["date"]), "\(today.text)")
        }
    }

    @Test("the care agenda comes a page at a time, and only the birthdays on the page are recorded as read")
    func careAgendaPages() async throws {
        try await ServerFixture.withServer { c in
            let inTwoDays = Timestamp(microseconds: Timestamp.now().microseconds + 2 * 86_400_000_000, offsetMinutes: 480).iso8601
            let day = String(inTwoDays.dropFirst(5).prefix(5))
            for i in 1...3 {
                let register = "{\"customer\":\"C-\(i)\",\"store\":\"S1\",\"name\":\"王芳\",\"birthday\":\"1990-\(day)\"}"
                #expect(try await c.post("/v1/customers", as: "manager", register).status == .created)
                let consent = eventJSON(type: "ConsentGranted", customer: "C-\(i)", occurredAt: Timestamp.now().iso8601,
                                        payload: #"{"purpose":"marketing","channel":"sms","policyVersion":"2026-01"}"#)
                #expect(try await c.post("/v1/events", as: "manager", consent).status == .created)
            }
            let first = try await c.get("/v1/reports/care-agenda?limit=2", as: "clerk")
            #expect(first.status == .ok, "\(first.text)")
            #expect(first.json["total"] == .number("3") && first.json["limit"] == .number("2") && first.json["offset"] == .number("0"))
            guard case .array(let page1)? = first.json["tasks"] else { Issue.record("no tasks: \(first.text)"); return }
            #expect(page1.map { $0["customer"] } == [.string("C-1"), .string("C-2")])
            let second = try await c.get("/v1/reports/care-agenda?limit=2&offset=2", as: "clerk")
            guard case .array(let page2)? = second.json["tasks"] else { Issue.record("no tasks: \(second.text)"); return }
            #expect(page2.map { $0["customer"] } == [.string("C-3")])
            #expect(try await c.get("/v1/reports/care-agenda?limit=0", as: "clerk").status == .badRequest)
            // C-1 and C-2 were shown once, C-3 once: one access record each.
            for (customer, reads) in [("C-1", 1), ("C-2", 1), ("C-3", 1)] {
                let accesses = try await c.get("/v1/audit/customers/\(customer)/accesses", as: "compliance")
                guard case .array(let list)? = accesses.json["accesses"] else { Issue.record("no accesses: \(accesses.text)"); return }
                #expect(list.count == reads, "\(customer): \(accesses.text)")
            }
        }
    }

    @Test("reads and search: segments, churn, search with filters, asOf")
    func reports() async throws {
        try await ServerFixture.withServer { c in
            for i in 1...5 {
                let body = "{\"customer\":\"C-\(i)\",\"store\":\"\(i % 2 == 0 ? "S2" : "S1")\"}"
                #expect(try await c.post("/v1/customers", as: "manager", body).status == .created)
            }
            let segments = try await c.get("/v1/reports/segments", as: "analyst")
            #expect(segments.status == .ok && segments.json["customers"] == .number("5"), "\(segments.text)")
            let pastSegments = try await c.get("/v1/reports/segments?asOf=2", as: "analyst")
            #expect(pastSegments.json["customers"] == .number("2"), "\(pastSegments.text)")
            let churn = try await c.get("/v1/reports/churn", as: "manager")
            #expect(churn.status == .ok)
            let all = try await c.get("/v1/customers?limit=2", as: "manager")
            #expect(all.json["total"] == .number("5"))
            if case .array(let page)? = all.json["customers"] { #expect(page.count == 2) }
            // Pages in id order, live (one pass over the stored model) as as of the head (a fold).
            func ids(_ r: JSONValue?) -> [String] {
                guard case .array(let list)? = r else { return [] }
                return list.compactMap { $0["customer"]?.stringValue }
            }
            let second = try await c.get("/v1/customers?limit=2&offset=2", as: "manager")
            #expect(ids(second.json["customers"]) == ["C-3", "C-4"], "\(second.text)")
            let head = 1_000_000 // past the head: everything recorded so far
            for q in ["limit=2&offset=2", "store=S1", "segment=potential", "tier=none&limit=3"] {
                let live = try await c.get("/v1/customers?" + q, as: "manager")
                let past = try await c.get("/v1/customers?\(q)&asOf=\(head)", as: "manager")
                #expect(ids(live.json["customers"]) == ids(past.json["customers"]) && live.json["total"] == past.json["total"], "\(q): \(live.text) vs \(past.text)")
                if q == "store=S1" { #expect(ids(live.json["customers"]) == ["C-1", "C-3", "C-5"], "\(live.text)") }
            }
            let s1 = try await c.get("/v1/customers", as: "clerk")
            #expect(s1.json["total"] == .number("3"), "\(s1.text)")
            #expect(try await c.get("/v1/customers?store=S2", as: "clerk").status == .forbidden)
            let potential = try await c.get("/v1/customers?segment=potential&tier=" + "none", as: "manager")
            #expect(potential.status == .ok)
            #expect(try await c.get("/v1/customers?risk=extreme", as: "manager").status == .badRequest)
        }
    }

    /// Thirty buyers over 2026 through the service: some still buying, every third one stopped in
    /// the spring (BG/NBD needs both to be fitted).
    static func thirtyBuyers() -> [String] {
        var events: [String] = []
        let monthDays = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]
        func date(_ dayOfYear: Int) -> String {
            var (month, day) = (0, dayOfYear)
            while day >= monthDays[month] { day -= monthDays[month]; month += 1 }
            return "2026-\(month < 9 ? "0" : "")\(month + 1)-\(day < 9 ? "0" : "")\(day + 1)T10:00:00+08:00"
        }
        for k in 1...30 {
            let (first, gap) = ((k * 7) % 60, 9 + k % 13)
            let last = k % 3 == 0 ? 120 : 320
            for (n, day) in stride(from: first, through: last, by: gap).enumerated() where n < 2 + k % 6 || k % 3 != 0 {
                let purchase = eventJSON(type: "PurchaseRecorded", customer: "C-\(k)", occurredAt: date(day), payload: """
                    {"receipt":"R-\(k)-\(day)","lines":[{"sku":"A","name":"A","category":"accessories","quantity":1,\
                    "unitPrice":{"minor":1000,"currency":"CNY"}}],"total":{"minor":1000,"currency":"CNY"}}
                    """)
                events.append(purchase)
            }
        }
        return events
    }

    @Test("a buyer's 360 carries the churn risk the churn report gives them, live and as of a point")
    func customerChurn() async throws {
        try await ServerFixture.withServer { c in
            // Thirty buyers, and one customer who never bought.
            for purchase in Self.thirtyBuyers() { #expect(try await c.post("/v1/events", as: "manager", purchase).status == .created) }
            #expect(try await c.post("/v1/customers", as: "manager", #"{"customer":"C-prospect","store":"S1"}"#).status == .created)
            for point in ["", "?asOf=1000000"] {
                let report = try await c.get("/v1/reports/churn" + point + (point.isEmpty ? "?" : "&") + "limit=100", as: "manager")
                guard case .array(let rows)? = report.json["customers"], rows.count == 30 else { Issue.record("\(point): \(report.text)"); return }
                for customer in ["C-3", "C-4"] {
                    let view = try await c.get("/v1/customers/\(customer)" + point, as: "manager")
                    #expect(view.json["churn"] != nil && view.json["churn"] == rows.first { $0["customer"] == .string(customer) },
                            "\(point): \(view.text) vs \(report.text)")
                }
                let prospect = try await c.get("/v1/customers/C-prospect" + point, as: "manager")
                #expect(prospect.status == .ok && prospect.json["churn"] == nil, "never bought: \(prospect.text)")
            }
        }
    }

    @Test("a win-back offer follows the consents of the moment, and an erased customer gets none, while the ranking is cached")
    func winBackFollowsConsent() async throws {
        // The buyers are in the ledger before the service starts: its first ranking counts them, and
        // is not computed again for an hour.
        let grant = eventJSON(type: "ConsentGranted", customer: "C-3", occurredAt: "2026-01-01T09:00:00+08:00",
                              payload: #"{"purpose":"marketing","channel":"sms","policyVersion":"v1"}"#)
        try await ServerFixture.withServer(rankingTTL: .seconds(3600), beforeStart: { f in
            for r in f.backend.ledger.appendAndWait(try ([grant] + Self.thirtyBuyers()).map { try JSONParser.parse($0) }) { _ = try r.get() }
        }) { c in
            func actions() async throws -> (view: String?, listed: String?) {
                let view = try await c.get("/v1/customers/C-3", as: "manager").json["churn"]?["action"]?.stringValue
                let report = try await c.get("/v1/reports/churn?limit=100", as: "manager")
                guard case .array(let rows)? = report.json["customers"] else { Issue.record(Comment(rawValue: report.text)); return (view, nil) }
                return (view, rows.first { $0["customer"] == .string("C-3") }?["action"]?.stringValue)
            }
            let before = try await actions()
            // C-3 stopped buying in the spring: an offer by SMS, the one channel they consented to.
            #expect(before.view?.hasSuffix("by sms") == true && before.listed == before.view, "\(before)")
            let withdraw = eventJSON(type: "ConsentWithdrawn", customer: "C-3", occurredAt: "2026-12-01T09:00:00+08:00",
                                     payload: #"{"purpose":"marketing","policyVersion":"v1"}"#)
            #expect(try await c.post("/v1/events", as: "manager", withdraw).status == .created)
            let after = try await actions()
            #expect(after.view == "no marketing consent: offer a coupon at the next visit" && after.listed == after.view, "\(after)")
            // Erased by another process (`clientele erase`: the event, then the key): the log and the
            // key store know at once, the models at their next catch-up.
            let total = try await c.get("/v1/reports/churn?limit=100", as: "manager").json["total"]?.int64Value
            let erasure = eventJSON(type: "CustomerErased", customer: "C-3", channel: "system", occurredAt: "2026-12-02T09:00:00+08:00",
                                    payload: #"{"reason":"asked"}"#, extra: #","source":"erasure","externalId":"C-3""#)
            for r in c.fixture.backend.ledger.appendAndWait([try JSONParser.parse(erasure)]) { _ = try r.get() }
            _ = try c.fixture.backend.ledger.keys.destroy("C-3")
            let erased = try await actions()
            #expect(erased.view == nil && erased.listed == nil, "\(erased)")
            #expect(try await c.get("/v1/reports/churn?limit=100", as: "manager").json["total"]?.int64Value == total.map { $0 - 1 })
            #expect(try await c.get("/v1/reports/churn?limit=1", as: "manager").json["total"]?.int64Value == total.map { $0 - 1 },
                    "the total does not depend on the page")
        }
    }

    @Test("the auth matrix: each role on each endpoint")
    func authMatrix() async throws {
        try await ServerFixture.withServer { c in
            #expect(try await c.post("/v1/customers", as: "manager", registerBody).status == .created)
            #expect(try await c.post("/v1/customers/C-1/complaints", as: "manager", #"{"complaint":"CP-1","category":"price","severity":"low","description":"x"}"#).status == .created)
            // Roles in order: clerk (S1), clerk2 (S2), manager, analyst, compliance, admin; true = allowed.
            let reads: [(String, [Bool])] = [
                ("/v1/customers/C-1", [true, false, true, false, true, true]),
                ("/v1/customers", [true, true, true, false, true, true]),
                ("/v1/complaints", [true, true, true, true, true, true]),
                ("/v1/reports/segments", [true, true, true, true, true, true]),
                ("/v1/reports/churn", [true, true, true, true, true, true]),
                ("/v1/reports/daily?store=S1", [true, false, true, true, true, true]),
                ("/v1/reports/care-agenda", [true, true, true, false, true, true]),
                ("/v1/reports/staff", [true, true, true, true, true, true]),
                ("/v1/reports/satisfaction", [true, true, true, true, true, true]),
                ("/v1/audit/customers/C-1/events", [false, false, false, false, true, true]),
                ("/v1/audit/customers/C-1/accesses", [false, false, false, false, true, true]),
                ("/v1/audit/actors/token:manager/events", [false, false, false, false, true, true]),
            ]
            let roles = ["clerk", "clerk2", "manager", "analyst", "compliance", "admin"]
            for (uri, allowed) in reads {
                #expect(try await c.get(uri).status == .unauthorized, "\(uri) without a token")
                for (role, ok) in zip(roles, allowed) {
                    let r = try await c.get(uri, as: role)
                    #expect(ok ? r.status == .ok : r.status == .forbidden, "\(uri) as \(role): \(r.status) \(r.text)")
                    if !ok { #expect(r.isProblem && r.json["detail"]?.stringValue?.isEmpty == false) }
                }
            }
            let writes: [(String, String, [Bool])] = [
                ("/v1/customers/C-1/visits", #"{"kind":"walk-in","store":"S1"}"#, [true, false, true, false, false, true]),
                ("/v1/customers/C-1/callbacks", #"{"reached":false,"store":"S1"}"#, [true, false, true, false, false, true]),
                ("/v1/complaints/CP-1/acknowledge", "{}", [true, false, true, false, false, true]),
                ("/v1/events", eventJSON(type: "VisitRecorded", customer: "C-1", actor: "token:admin", payload: #"{"kind":"walk-in"}"#), [false, false, true, false, false, true]),
            ]
            for (uri, body, allowed) in writes {
                #expect(try await c.post(uri, body).status == .unauthorized)
                for (role, ok) in zip(roles, allowed) {
                    let r = try await c.post(uri, as: role, body)
                    #expect(ok ? r.status == .created : r.status == .forbidden, "POST \(uri) as \(role): \(r.status) \(r.text)")
                }
            }
        }
    }
}

extension Timestamp {
    static var today: String { Timestamp.now().iso8601 }
}
