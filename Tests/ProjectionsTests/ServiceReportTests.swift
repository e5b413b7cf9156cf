import Testing
import CustomerEvents
import Ledger
import LedgerJSON
import Projections

@Suite("Satisfaction and staff KPIs")
struct ServiceReportTests {
    @Test("CSAT averages (and its share of 4s and 5s) and NPS is % promoters minus % detractors, by store and by complaint category")
    func satisfaction() throws {
        let f = try Fixture("satisfaction"); defer { f.remove() }
        var docs: [JSONValue] = []
        func add(_ type: String, store: String, _ payload: String) throws {
            docs.append(try JSONParser.parse(#"{"type":"\#(type)","customer":"C\#(docs.count)","store":"\#(store)","actor":"staff-\#(docs.count % 2)","channel":"phone","occurredAt":"2026-11-0\#(1 + docs.count % 9)T10:00:00+08:00","source":"t","externalId":"\#(docs.count)","payload":\#(payload)}"#))
        }
        try add("ComplaintFiled", store: "S1", #"{"complaint":"CP-1","category":"price","severity":"low"}"#)
        try add("CallbackLogged", store: "S1", #"{"reached":true,"csat":5,"nps":10,"complaint":"CP-1"}"#)
        try add("CallbackLogged", store: "S1", #"{"reached":true,"csat":4,"nps":9}"#)
        try add("CallbackLogged", store: "S1", #"{"reached":true,"csat":1,"nps":3}"#)
        try add("CallbackLogged", store: "S1", #"{"reached":true,"csat":3,"nps":7}"#)
        try add("CallbackLogged", store: "S2", #"{"reached":false}"#)
        // A callback about a complaint whose filing is not in the log (yet): no category, not "other".
        try add("CallbackLogged", store: "S3", #"{"reached":true,"csat":2,"complaint":"CP-9"}"#)
        try f.append(docs)
        var complaints: [String: ComplaintRecord] = [:]
        try f.models.records(ComplaintStatusProjector()) { k, r in complaints[k] = r; return true }
        let byStore = Dictionary(uniqueKeysWithValues: try ServiceReports.satisfaction(ledger: f.ledger, complaints: complaints, by: "store"))
        let s1 = try #require(byStore["S1"])
        #expect(s1.callbacks == 4 && s1.csat == 13.0 / 4)
        #expect(s1.satisfiedShare == 0.5, "5 and 4 of 5, 4, 1, 3")
        #expect(s1.nps == 25, "2 promoters, 1 passive, 1 detractor of 4")
        #expect(byStore["S2"]?.reached == 0 && byStore["S2"]?.csat == nil && byStore["S2"]?.nps == nil)
        let byCategory = Dictionary(uniqueKeysWithValues: try ServiceReports.satisfaction(ledger: f.ledger, complaints: complaints, by: "category"))
        #expect(byCategory["price"]?.csat == 5)
        #expect(byCategory["(not a complaint)"]?.callbacks == 4)
        #expect(byCategory["(complaint not filed)"]?.callbacks == 1 && byCategory["other"] == nil, "\(byCategory.keys.sorted())")
    }

    @Test("staff KPIs: who responded gets the response time, who resolved the resolve time and CSAT, every handler the clocks; the star has a CSAT")
    func staff() throws {
        func record(_ id: String, handlers: [String], filed: String, ack: String, resolved: String?, by resolver: String?, csat: Int64?) -> ComplaintRecord {
            var r = ComplaintRecord(complaint: id)
            r.customer = "C-" + id
            r.store = "S1"
            r.filedAt = Timestamp(iso8601: filed)!.microseconds
            r.roundStartedAt = r.filedAt
            r.acknowledgedAt = Timestamp(iso8601: ack)!.microseconds
            r.resolvedAt = resolved.map { Timestamp(iso8601: $0)!.microseconds }
            r.resolvedBy = resolver
            r.handlers = handlers
            if let resolved = r.resolvedAt, let resolver {
                r.resolutions = [resolved]
                r.resolvers = [resolver]
                // The callback an hour after the resolution.
                r.callbacks = csat.map { [ComplaintRecord.Callback(at: resolved + 3_600_000_000, by: resolver, csat: $0)] } ?? []
            }
            return r
        }
        var records = [
            record("A", handlers: ["li"], filed: "2026-11-02T10:00:00+08:00", ack: "2026-11-02T10:20:00+08:00", resolved: "2026-11-02T14:00:00+08:00", by: "li", csat: 5),
            record("B", handlers: ["li", "wu"], filed: "2026-11-03T10:00:00+08:00", ack: "2026-11-03T10:40:00+08:00", resolved: "2026-11-03T12:00:00+08:00", by: "wu", csat: 4),
            record("C", handlers: ["wu"], filed: "2026-11-04T10:00:00+08:00", ack: "2026-11-04T12:00:00+08:00", resolved: "2026-11-05T10:00:00+08:00", by: "wu", csat: 2),
            record("D", handlers: ["wu"], filed: "2026-10-04T10:00:00+08:00", ack: "2026-10-04T10:01:00+08:00", resolved: "2026-10-04T11:00:00+08:00", by: "wu", csat: 5),
            record("E", handlers: ["zhao"], filed: "2026-11-06T10:00:00+08:00", ack: "2026-11-06T10:05:00+08:00", resolved: nil, by: nil, csat: nil),
        ]
        // C waited 20 hours on the customer: not counted in its resolve time.
        records[2].pauses = [[Timestamp(iso8601: "2026-11-04T13:00:00+08:00")!.microseconds, Timestamp(iso8601: "2026-11-05T09:00:00+08:00")!.microseconds]]
        let now = Timestamp(iso8601: "2026-11-30T00:00:00+08:00")!.microseconds
        let kpis = ServiceReports.staff(complaints: records, period: "2026-11", at: now, sla: SLAConfiguration())
        let li = try #require(kpis.first { $0.staff == "li" }), wu = try #require(kpis.first { $0.staff == "wu" })
        // li: first on A (20 min) and B (40 min); resolved A in 4 h, rated 5; A's and B's respond and
        // plan clocks met, their close clocks past 24 h (never closed): 4 of 6.
        #expect(li.complaintsHandled == 2 && li.averageRespondMinutes == 30 && li.averageResolveMinutes == 240)
        #expect(li.satisfaction.csat == 5 && li.slaHitRate == 4.0 / 6.0)
        // wu: first only on C (120 min, missed); resolved B (2 h) and C (24 h less the 20 h pause).
        #expect(wu.complaintsHandled == 2 && wu.respondCount == 1 && wu.averageRespondMinutes == 120)
        #expect(wu.averageResolveMinutes == (120 + 240) / 2 && wu.satisfaction.csat == 3)
        #expect(wu.slaHitRate == 0.5, "B's respond and plan met; C's respond missed, its plan met (4 h without the pause); both close clocks past 24 h")
        let zhao = try #require(kpis.first { $0.staff == "zhao" })
        #expect(zhao.starScore == nil && zhao.satisfaction.csat == nil, "nothing resolved, nothing rated")
        #expect(kpis.map(\.staff) == ["li", "wu", "zhao"], "the service star first; who has no rating is not in the running")
    }

    @Test("who files a complaint and who calls the customer back are on the staff record, apart from its handlers")
    func filingAndCallbacks() throws {
        let f = try Fixture("staff-filing"); defer { f.remove() }
        func step(_ type: String, actor: String, at: String, _ payload: String = "") throws -> JSONValue {
            try JSONParser.parse(#"{"type":"\#(type)","customer":"C1","store":"S1","actor":"\#(actor)","channel":"counter","occurredAt":"2026-11-03T\#(at):00+08:00","source":"t","externalId":"\#(type)-\#(at)","payload":{"complaint":"CP-1"\#(payload)}}"#)
        }
        try f.append([
            try step("ComplaintFiled", actor: "clerk-a", at: "10:00", #","category":"price","severity":"low""#),
            try step("ComplaintAcknowledged", actor: "staff-b", at: "10:10"),
            try step("ComplaintResolved", actor: "staff-b", at: "11:00", #","resolution":"refund""#),
            try step("CallbackLogged", actor: "care-c", at: "15:00", #","reached":false"#),
            try step("CallbackLogged", actor: "care-c", at: "16:00", #","reached":true,"csat":5"#),
        ])
        let record = try #require(try f.models.record(ComplaintStatusProjector(), key: "CP-1"))
        #expect(record.filedBy == "clerk-a" && record.callbacks.map(\.by) == ["care-c", "care-c"])
        let now = Timestamp(iso8601: "2026-11-30T00:00:00+08:00")!.microseconds
        let kpis = Dictionary(uniqueKeysWithValues: ServiceReports.staff(complaints: [record], period: "2026-11", at: now, sla: SLAConfiguration()).map { ($0.staff, $0) })
        #expect(kpis["clerk-a"]?.complaintsFiled == 1 && kpis["clerk-a"]?.complaintsHandled == 0)
        #expect(kpis["care-c"]?.callbacksMade == 2 && kpis["care-c"]?.complaintsHandled == 0 && kpis["care-c"]?.satisfaction.csat == nil)
        #expect(kpis["staff-b"]?.complaintsHandled == 1 && kpis["staff-b"]?.satisfaction.csat == 5 && kpis["staff-b"]?.callbacksMade == 0,
                "the callback rates who resolved it")
        // At 15:30 only the first callback had been made (and nothing rated yet).
        let early = ServiceReports.staff(complaints: [record], period: nil, at: Timestamp(iso8601: "2026-11-03T15:30:00+08:00")!.microseconds, sla: SLAConfiguration())
        #expect(early.first { $0.staff == "care-c" }?.callbacksMade == 1)
    }
}
