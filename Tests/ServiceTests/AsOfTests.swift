import HTTPTypes
import Ledger
import LedgerJSON
import Testing

/// `asOf` on every read endpoint: a time (business time: the events that occurred by then) or a
/// sequence number (what the ledger knew then), parsed by one parser and refused alike.
@Suite("asOf on the read endpoints, against a live server on 127.0.0.1", .serialized)
struct AsOfTests {
    /// Every read endpoint of schemas/openapi.yaml (the fuzzer covers the rest of their parameters).
    static let readEndpoints = [
        "/v1/customers/C-1", "/v1/customers", "/v1/complaints", "/v1/reports/segments", "/v1/reports/churn",
        "/v1/reports/daily?store=S1", "/v1/reports/care-agenda", "/v1/reports/staff", "/v1/reports/satisfaction",
        "/v1/audit/customers/C-1/events", "/v1/audit/customers/C-1/accesses", "/v1/audit/actors/token:manager/events",
    ]

    @Test("every read endpoint takes a time or a sequence number, echoes it as asOf, and names asOf when it is neither")
    func everyEndpoint() async throws {
        try await ServerFixture.withServer { c in
            #expect(try await c.post("/v1/customers", as: "manager", registerBody).status == .created)
            for uri in Self.readEndpoints {
                let joiner = uri.contains("?") ? "&" : "?"
                let live = try await c.get(uri, as: "admin")
                #expect(live.status == .ok, "\(uri): \(live.status) \(live.text)")
                #expect(Self.echoedTime(live) != nil && live.json["asOf"]?["sequence"] == nil, "\(uri): asOf \(live.json["asOf"].map { "\($0)" } ?? "missing")")
                for good in ["1", "2100-01-01T00:00:00Z", "2100-01-01T08:00:00%2B08:00"] {
                    let r = try await c.get(uri + joiner + "asOf=" + good, as: "admin")
                    #expect(r.status == .ok, "\(uri) asOf=\(good): \(r.status) \(r.text)")
                    // The answer names the point it describes: the time given, or the sequence and when it was recorded.
                    let echo = r.json["asOf"].map { "\($0)" } ?? "missing"
                    if good == "1" {
                        #expect(r.json["asOf"]?["sequence"] == .number("1") && Self.echoedTime(r) != nil, "\(uri) asOf=1: asOf \(echo)")
                    } else {
                        let given = Timestamp(iso8601: good.replacing("%2B", with: "+"))?.microseconds
                        #expect(Self.echoedTime(r) == given && r.json["asOf"]?["sequence"] == nil, "\(uri) asOf=\(good): asOf \(echo)")
                    }
                }
                for bad in ["yesterday", "2026-11-20", "2026-11-20T10:00:00", "-1", "1.5", "18446744073709551616"] {
                    let r = try await c.get(uri + joiner + "asOf=" + bad, as: "admin")
                    #expect(r.status == .badRequest && r.isProblem, "\(uri) asOf=\(bad): \(r.status) \(r.text)")
                    #expect(r.json["parameter"] == .string("asOf"), "\(uri) asOf=\(bad): \(r.text)")
                    #expect(r.json["detail"]?.stringValue?.hasPrefix("asOf: ") == true, "\(uri) asOf=\(bad): \(r.text)")
                }
            }
        }
    }

    @Test("the daily report's breached complaints as of a time are judged at that time, not now")
    func dailyBreachesAsOf() async throws {
        try await ServerFixture.withServer { c in
            let register = #"{"customer":"C-1","store":"S1","name":"王芳","occurredAt":"2026-01-05T09:00:00+08:00"}"#
            #expect(try await c.post("/v1/customers", as: "manager", register).status == .created)
            let filed = try await c.post("/v1/customers/C-1/complaints", as: "manager",
                                         #"{"complaint":"CP-1","category":"price","severity":"low","occurredAt":"2026-01-05T10:00:00+08:00"}"#)
            #expect(filed.status == .created, "\(filed.text)")
            func breached(_ asOf: String?) async throws -> JSONValue? {
                let r = try await c.get("/v1/reports/daily?store=S1&date=2026-01-05" + (asOf.map { "&asOf=" + $0 } ?? ""), as: "manager")
                #expect(r.status == .ok, "\(r.text)")
                return r.json["summary"]?["breachedComplaints"]
            }
            // By the end of the day the response clock has broken (this read also brings the models up
            // to date); half an hour after filing, nothing had broken yet.
            #expect(try await breached(nil) == .array([.string("CP-1")]))
            #expect(try await breached("2026-01-05T10:30:00%2B08:00") == .array([]))
        }
    }

    @Test("the care agenda as of a time: the customers, consents and complaints of that day")
    func careAgendaAsOfTime() async throws {
        try await ServerFixture.withServer { c in
            try await Self.customerWithComplaint(c, birthday: "1991-01-14", times: ["2026-01-05T10:00:00+08:00", "2026-01-06T10:00:00+08:00",
                                                                                    "2026-01-08T10:00:00+08:00", "2026-01-12T10:00:00+08:00"])
            // Before the consent: nobody may be greeted, and the complaint was not filed yet.
            #expect(try await Self.tasks(c, asOf: "2026-01-05T12:00:00%2B08:00") == [])
            // The week of the 10th holds the birthday (consent given on the 6th); the complaint is not resolved yet.
            let tenth = try await c.get("/v1/reports/care-agenda?asOf=2026-01-10T09:00:00%2B08:00", as: "clerk")
            #expect(tenth.status == .ok, "\(tenth.text)")
            #expect(tenth.json["asOf"]?["time"] == .string("2026-01-10T09:00:00+08:00"), "\(tenth.text)")
            #expect(tenth.json["asOf"]?["sequence"] == nil)
            #expect(try await Self.tasks(c, asOf: "2026-01-10T09:00:00%2B08:00") == ["birthday-greeting C-1 01-14"])
            // On the 13th it is resolved, so its callback is due.
            #expect(try await Self.tasks(c, asOf: "2026-01-13T09:00:00%2B08:00") == ["birthday-greeting C-1 01-14", "callback C-1 CP-1"])
            // Now the callback is still due, but the birthday is months away.
            #expect(try await Self.tasks(c, asOf: nil) == ["callback C-1 CP-1"])
        }
    }

    @Test("the care agenda as of a sequence number: what the ledger knew after that event")
    func careAgendaAsOfSequence() async throws {
        try await ServerFixture.withServer { c in
            // A birthday two days from now (in the stores' default zone, +08:00), so that it falls in the week of every event.
            let inTwoDays = Timestamp(microseconds: Timestamp.now().microseconds + 2 * 86_400_000_000, offsetMinutes: 480).iso8601
            let day = String(inTwoDays.dropFirst(5).prefix(5))
            try await Self.customerWithComplaint(c, birthday: "1990-" + day, times: nil)
            #expect(try await Self.tasks(c, asOf: "0") == [])
            #expect(try await Self.tasks(c, asOf: "1") == [], "registered, but no consent to greet them")
            #expect(try await Self.tasks(c, asOf: "2") == ["birthday-greeting C-1 \(day)"])
            #expect(try await Self.tasks(c, asOf: "3") == ["birthday-greeting C-1 \(day)"], "filed, not resolved")
            #expect(try await Self.tasks(c, asOf: "4") == ["birthday-greeting C-1 \(day)", "callback C-1 CP-1"])
            let past = try await c.get("/v1/reports/care-agenda?asOf=2", as: "clerk")
            #expect(past.json["asOf"]?["sequence"] == .number("2"), "\(past.text)")
            #expect(past.json["asOf"]?["time"]?.stringValue?.hasSuffix("+08:00") == true, "\(past.text)")
        }
    }

    @Test("audit reads as of a time keep the events that occurred by then; as of a sequence, those recorded by then")
    func audit() async throws {
        try await ServerFixture.withServer { c in
            // Recorded in this order; occurred on the 5th, the 12th and the 8th.
            let register = #"{"customer":"C-1","store":"S1","name":"王芳","occurredAt":"2026-01-05T10:00:00+08:00"}"#
            #expect(try await c.post("/v1/customers", as: "manager", register).status == .created)
            for at in ["2026-01-12T10:00:00+08:00", "2026-01-08T10:00:00+08:00"] {
                let visit = try await c.post("/v1/customers/C-1/visits", as: "manager", "{\"kind\":\"walk-in\",\"occurredAt\":\"\(at)\"}")
                #expect(visit.status == .created, "\(visit.text)")
            }
            let tenth = "2026-01-10T00:00:00Z"
            #expect(try await Self.sequences(c, "/v1/audit/customers/C-1/events", asOf: tenth, list: "events") == [1, 3])
            #expect(try await Self.sequences(c, "/v1/audit/customers/C-1/events", asOf: "2", list: "events") == [1, 2])
            // Without asOf: all three, then the compliance reads just made (each recorded as the customer's event).
            let everything = try await Self.sequences(c, "/v1/audit/customers/C-1/events", asOf: nil, list: "events")
            #expect(everything.prefix(3) == [1, 2, 3] && everything.count == 5, "\(everything)")
            #expect(try await Self.sequences(c, "/v1/audit/actors/token:manager/events", asOf: tenth, list: "events") == [1, 3])
            #expect(try await Self.sequences(c, "/v1/audit/actors/token:manager/events", asOf: "2", list: "events") == [1, 2])
            #expect(try await Self.sequences(c, "/v1/audit/actors/token:manager/events", asOf: "0", list: "events") == [])
            for asOf in ["0", "2026-01-01T00:00:00Z"] {
                let none = try await c.get("/v1/audit/customers/C-1/events?asOf=" + asOf, as: "compliance")
                #expect(none.status == .notFound && none.isProblem, "asOf=\(asOf): \(none.status) \(none.text)")
            }
            // The compliance reads above were recorded (the events hold a name); so is the manager's 360 view.
            let head = try c.head()
            #expect(try await c.get("/v1/customers/C-1", as: "manager").status == .ok)
            let all = try await Self.sequences(c, "/v1/audit/customers/C-1/accesses", asOf: nil, list: "accesses")
            #expect(all.count >= 2 && all.allSatisfy { $0 > 3 }, "\(all)")
            #expect(try await Self.sequences(c, "/v1/audit/customers/C-1/accesses", asOf: String(head), list: "accesses") == all.filter { $0 <= head })
            #expect(try await Self.sequences(c, "/v1/audit/customers/C-1/accesses", asOf: "3", list: "accesses") == [])
            #expect(try await Self.sequences(c, "/v1/audit/customers/C-1/accesses", asOf: tenth, list: "accesses") == [], "accesses occur now, not in January")
            #expect(try await Self.sequences(c, "/v1/audit/customers/C-1/accesses", asOf: "2100-01-01T00:00:00Z", list: "accesses") == all)
        }
    }

    // MARK: Controls

    /// C-1 registered in S1 with `birthday` (seq 1), marketing consent by SMS (2), complaint CP-1 filed (3)
    /// and resolved (4); each at the given occurred-at times, or now.
    static func customerWithComplaint(_ c: Client, birthday: String, times: [String]?) async throws {
        func at(_ i: Int) -> String { times.map { ",\"occurredAt\":\"\($0[i])\"" } ?? "" }
        let register = "{\"customer\":\"C-1\",\"store\":\"S1\",\"name\":\"王芳\",\"birthday\":\"\(birthday)\"\(at(0))}"
        let consent = eventJSON(type: "ConsentGranted", customer: "C-1", occurredAt: times?[1] ?? Timestamp.now().iso8601,
                                payload: #"{"purpose":"marketing","channel":"sms","policyVersion":"2026-01"}"#)
        let steps = [("/v1/customers", register), ("/v1/events", consent),
                     ("/v1/customers/C-1/complaints", "{\"complaint\":\"CP-1\",\"category\":\"price\",\"severity\":\"low\"\(at(2))}"),
                     ("/v1/complaints/CP-1/resolve", "{\"resolution\":\"refunded\"\(at(3))}")]
        for (i, (uri, body)) in steps.enumerated() {
            let r = try await c.post(uri, as: "manager", body)
            #expect(r.status == .created && r.json["sequence"] == .number(String(i + 1)), "\(uri): \(r.text)")
        }
    }

    /// The care agenda's tasks as of `asOf` (now when nil), each as "task customer detail", as clerk of S1.
    static func tasks(_ c: Client, asOf: String?) async throws -> [String] {
        let r = try await c.get("/v1/reports/care-agenda" + (asOf.map { "?asOf=" + $0 } ?? ""), as: "clerk")
        #expect(r.status == .ok, "\(r.text)")
        guard case .array(let tasks)? = r.json["tasks"] else { Issue.record("no tasks: \(r.text)"); return [] }
        return tasks.compactMap { t -> String? in
            guard let task = t["task"]?.stringValue, let customer = t["customer"]?.stringValue else { return nil }
            let detail = t["birthday"]?.stringValue ?? t["complaint"]?.stringValue ?? t["risk"].map { "\($0)" } ?? ""
            return "\(task) \(customer) \(detail)"
        }
    }

    /// The moment an answer's `asOf` member names (`asOf.time`), in microseconds.
    static func echoedTime(_ r: Reply) -> Int64? {
        r.json["asOf"]?["time"]?.stringValue.flatMap { Timestamp(iso8601: $0) }?.microseconds
    }

    /// The `sequence` of each item of `list` in the answer to `uri` as of `asOf`, as compliance.
    static func sequences(_ c: Client, _ uri: String, asOf: String?, list: String) async throws -> [UInt64] {
        let r = try await c.get(uri + (asOf.map { "?asOf=" + $0 } ?? ""), as: "compliance")
        #expect(r.status == .ok, "\(uri) asOf=\(asOf ?? "-"): \(r.status) \(r.text)")
        guard case .array(let items)? = r.json[list] else { return [] }
        return items.compactMap { $0["sequence"]?.int64Value.map { UInt64($0) } }
    }
}
