import Testing
import CustomerEvents
import Ledger
import LedgerJSON
import Projections

@Suite("Satisfaction and staff KPIs")
struct ServiceReportTests {
    @Test("CSAT averages and NPS is % promoters minus % detractors, by store and by complaint category")
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
        try f.append(docs)
        var complaints: [String: ComplaintRecord] = [:]
        try f.models.records(ComplaintStatusProjector()) { k, r in complaints[k] = r; return true }
        let byStore = Dictionary(uniqueKeysWithValues: try ServiceReports.satisfaction(ledger: f.ledger, complaints: complaints, by: "store"))
        let s1 = try #require(byStore["S1"])
        #expect(s1.callbacks == 4 && s1.csat == 13.0 / 4)
        #expect(s1.nps == 25, "2 promoters, 1 passive, 1 detractor of 4")
        #expect(byStore["S2"]?.reached == 0 && byStore["S2"]?.csat == nil && byStore["S2"]?.nps == nil)
        let byCategory = Dictionary(uniqueKeysWithValues: try ServiceReports.satisfaction(ledger: f.ledger, complaints: complaints, by: "category"))
        #expect(byCategory["price"]?.csat == 5)
        #expect(byCategory["(not a complaint)"]?.callbacks == 4)
    }

    @Test("staff KPIs: first responder's time and on-time rate, resolve time, CSAT of callbacks; the best is the star")
    func staff() throws {
        func record(_ id: String, handlers: [String], filed: String, ack: String, resolved: String, csat: Int64?) -> ComplaintRecord {
            var r = ComplaintRecord(complaint: id)
            r.store = "S1"
            r.filedAt = Timestamp(iso8601: filed)!.microseconds
            r.roundStartedAt = r.filedAt
            r.acknowledgedAt = Timestamp(iso8601: ack)!.microseconds
            r.resolvedAt = Timestamp(iso8601: resolved)!.microseconds
            r.handlers = handlers
            r.callbackCSAT = csat
            return r
        }
        let records = [
            record("A", handlers: ["li"], filed: "2026-11-02T10:00:00+08:00", ack: "2026-11-02T10:20:00+08:00", resolved: "2026-11-02T14:00:00+08:00", csat: 5),
            record("B", handlers: ["li", "wu"], filed: "2026-11-03T10:00:00+08:00", ack: "2026-11-03T10:40:00+08:00", resolved: "2026-11-03T12:00:00+08:00", csat: 4),
            record("C", handlers: ["wu"], filed: "2026-11-04T10:00:00+08:00", ack: "2026-11-04T12:00:00+08:00", resolved: "2026-11-05T10:00:00+08:00", csat: 2),
            record("D", handlers: ["wu"], filed: "2026-10-04T10:00:00+08:00", ack: "2026-10-04T10:01:00+08:00", resolved: "2026-10-04T11:00:00+08:00", csat: 5),
        ]
        let now = Timestamp(iso8601: "2026-11-30T00:00:00+08:00")!.microseconds
        let kpis = ServiceReports.staff(complaints: records, period: "2026-11", at: now, sla: SLAConfiguration())
        let li = try #require(kpis.first { $0.staff == "li" }), wu = try #require(kpis.first { $0.staff == "wu" })
        #expect(li.complaintsHandled == 2 && li.averageRespondMinutes == 30 && li.slaHitRate == 1)
        let resolve = try #require(li.averageResolveMinutes)
        #expect(abs(resolve - 180) < 1e-9, "(240 + 120) / 2 minutes")
        #expect(wu.complaintsHandled == 2 && wu.respondCount == 1 && wu.slaHitRate == 0, "wu answered C late; B's first responder was li")
        #expect(wu.satisfaction.csat == 3)
        #expect(kpis.first?.staff == "li", "the service star")
    }
}
