import Testing
import CustomerEvents
import Ledger
import LedgerJSON
import Projections

/// The live 360 view reads the profile and consents through the summary's pointers into the log;
/// it must show what a scan of the whole stream shows.
@Suite("Customer 360 view")
struct CustomerViewTests {
    static func event(_ type: String, _ payload: String, customer: String, id: String, channel: String = "counter") throws -> JSONValue {
        try JSONParser.parse(#"{"type":"\#(type)","customer":"\#(customer)","store":"S1","actor":"staff-1","channel":"\#(channel)","occurredAt":"2026-11-02T10:00:00+08:00","source":"t","externalId":"\#(id)","payload":\#(payload)}"#)
    }

    /// Profile and consents of the live view and of the view as of the head (which scans the stream).
    static func shown(_ f: Fixture, _ id: String) throws -> (live: String, scanned: String) {
        let head = try f.ledger.ledger.head().sequence
        func text(_ v: CustomerView?) -> String {
            guard let v else { return "none" }
            var w = JSONWriter(capacity: 256)
            w.write(.object(v.profile))
            return String(decoding: w.bytes, as: UTF8.self) + " \(v.personalData) " + v.consents.map { "\($0.0)=\($0.1.allowed)" }.joined(separator: ",")
        }
        let live = try f.models.customerView(id, asOf: nil, configuration: ClienteleConfiguration()) { _, _, _ in nil }
        let scanned = try f.models.customerView(id, asOf: .sequence(head), configuration: ClienteleConfiguration()) { _, _, _ in nil }
        return (text(live), text(scanned))
    }

    @Test("a customer the summary keeps nothing of yet (points from the till before the purchase, a care contact) has a live view, as of the head too")
    func onlyLoyaltyEvents() throws {
        let f = try Fixture("view-loyalty-only"); defer { f.remove() }
        try f.append([
            try Self.event("PointsEarned", #"{"points":500,"receipt":"RP1"}"#, customer: "P1", id: "p1", channel: "pos"),
            try Self.event("CareContactMade", #"{"kind":"holiday-greeting","channel":"counter"}"#, customer: "P2", id: "p2"),
        ])
        let points = try #require(try f.models.customerView("P1", asOf: nil, configuration: ClienteleConfiguration()) { _, _, _ in nil })
        #expect(points.loyalty.points == 500 && points.summary.receipts == 0, "\(points.loyalty.json)")
        #expect(try f.models.customerView("P2", asOf: nil, configuration: ClienteleConfiguration()) { _, _, _ in nil } != nil)
        #expect(try f.models.customerView("P3", asOf: nil, configuration: ClienteleConfiguration()) { _, _, _ in nil } == nil, "one with no event is no customer")
        for id in ["P1", "P2"] {
            let (live, scanned) = try Self.shown(f, id)
            #expect(live == scanned && live != "none", "\(id): live \(live) vs scanned \(scanned)")
        }
    }

    @Test("profile updates, consent changes and an erasure among many other events show as a scan of the stream shows them")
    func profileThroughPointers() throws {
        let f = try Fixture("view-pointers"); defer { f.remove() }
        let chain = f.chain(customers: 40, days: 90, seed: 7)
        try f.append(chain)
        let ids = Set(chain.compactMap { $0["customer"]?.stringValue }).sorted()
        // C-a: a profile update after many access records; C-b: consents changed back and forth; C-c: erased.
        let (a, b, c) = (ids[0], ids[1], ids[2])
        var more: [JSONValue] = []
        for i in 0..<50 {
            more.append(try Self.event("PersonalDataAccessed", #"{"purpose":"test","fields":["name"],"endpoint":"GET /v1/customers/{customer}"}"#,
                                       customer: a, id: "acc-\(i)", channel: "system"))
        }
        more.append(try Self.event("CustomerProfileUpdated", #"{"phone":"13900000000","ageBand":"30-39"}"#, customer: a, id: "upd-a"))
        more.append(try Self.event("ConsentGranted", #"{"purpose":"marketing","channel":"email","policyVersion":"v1"}"#, customer: b, id: "c1"))
        more.append(try Self.event("ConsentWithdrawn", #"{"purpose":"marketing","policyVersion":"v1"}"#, customer: b, id: "c2"))
        more.append(try Self.event("ConsentGranted", #"{"purpose":"marketing","channel":"sms","policyVersion":"v1"}"#, customer: b, id: "c3"))
        more.append(try Self.event("CustomerErased", #"{"reason":"test"}"#, customer: c, id: "erase-c", channel: "system"))
        try f.append(more)
        _ = try f.ledger.keys.destroy(c)
        try f.models.catchUp(CustomerSummaryProjector())

        let summary = try #require(try f.models.record(CustomerSummaryProjector(), key: a))
        let pointed: Set<String> = ["CustomerRegistered", "CustomerProfileUpdated", "ConsentGranted", "ConsentWithdrawn", "CustomerErased"]
        let expected = chain.filter { $0["customer"]?.stringValue == a && pointed.contains($0["type"]?.stringValue ?? "") }.count + 1
        #expect(summary.profileEvents.count == expected, "registration, consents and the update: the 50 access records are not pointed at")
        let shownA = try Self.shown(f, a)
        #expect(shownA.live.contains("13900000000"), "the update shows: \(shownA.live)")
        for id in ids {
            let (live, scanned) = try Self.shown(f, id)
            #expect(live == scanned, "\(id): live \(live) vs scanned \(scanned)")
        }
        let shownB = try Self.shown(f, b)
        #expect(shownB.live.contains("marketing by sms=true") && shownB.live.contains("marketing by email=false"), "\(shownB.live)")
        let shownC = try Self.shown(f, c)
        #expect(shownC.live.contains("erased"), "\(shownC.live)")
        // Erased: no field of the profile keeps a value, the plain ones (age band, gender,
        // interests, preferences) no more than the sealed ones.
        let viewC = try #require(try f.models.customerView(c, asOf: nil, configuration: ClienteleConfiguration()) { _, _, _ in nil })
        #expect(!viewC.profile.isEmpty && viewC.profile.allSatisfy { $0.1 == .null }, "\(viewC.profile)")
        #expect(viewC.consents.allSatisfy { !$0.1.allowed } && viewC.consents.contains { $0.0 == "profiling" })
    }
}
