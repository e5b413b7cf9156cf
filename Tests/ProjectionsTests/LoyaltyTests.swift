import Testing
import CustomerEvents
import Ledger
import LedgerJSON
import Projections

/// Loyalty: points by rule or as recorded, returns, redemptions, expiry, tiers and their history.
@Suite("Loyalty")
struct LoyaltyTests {
    static func event(_ type: String, _ payload: String, at: String, customer: String = "C1", id: String) throws -> JSONValue {
        try JSONParser.parse(#"{"type":"\#(type)","customer":"\#(customer)","store":"S1","actor":"pos-import","channel":"pos","occurredAt":"\#(at)","source":"t","externalId":"\#(id)","payload":\#(payload)}"#)
    }
    static func purchase(_ receipt: String, minor: Int, category: String = "apparel", at: String) throws -> JSONValue {
        try event("PurchaseRecorded", #"{"receipt":"\#(receipt)","lines":[{"sku":"A","category":"\#(category)","quantity":1,"unitPrice":{"minor":\#(minor),"currency":"CNY"}}],"total":{"minor":\#(minor),"currency":"CNY"}}"#, at: at, id: receipt)
    }
    static func refund(_ receipt: String, of original: String, minor: Int, at: String) throws -> JSONValue {
        try event("ReturnRecorded", #"{"receipt":"\#(receipt)","originalReceipt":"\#(original)","lines":[{"sku":"A","quantity":1,"refund":{"minor":\#(minor),"currency":"CNY"}}],"refund":{"minor":\#(minor),"currency":"CNY"}}"#, at: at, id: receipt)
    }

    static func exchange(_ receipt: String, of original: String, difference minor: Int, category: String, at: String) throws -> JSONValue {
        try event("ExchangeRecorded", #"{"receipt":"\#(receipt)","originalReceipt":"\#(original)","returned":[{"sku":"A","quantity":1,"refund":{"minor":30000,"currency":"CNY"}}],"issued":[{"sku":"B","quantity":1,"category":"\#(category)","unitPrice":{"minor":\#(30_000 + minor),"currency":"CNY"}}],"difference":{"minor":\#(minor),"currency":"CNY"}}"#, at: at, id: receipt)
    }

    @Test("an exchange's refund counts against its receipt, and an exchange paid on a receipt not bought here caps its returns: the 360 and the tier agree")
    func exchangesAgainstTheReceipt() throws {
        let f = try Fixture("exchange-caps"); defer { f.remove() }
        try f.append([
            try Self.purchase("R1", minor: 10_000, at: "2026-03-01T10:00:00+08:00"),
            try Self.exchange("X1", of: "R1", difference: -3_000, category: "shoes", at: "2026-03-02T10:00:00+08:00"), // 3,000 of R1 back
            try Self.refund("R1-R", of: "R1", minor: 10_000, at: "2026-03-03T10:00:00+08:00"),                          // only 7,000 left
            try Self.exchange("X2", of: "RX", difference: 5_000, category: "shoes", at: "2026-03-04T10:00:00+08:00"),   // paid 5,000 on RX
            try Self.refund("RX-R", of: "RX", minor: 20_000, at: "2026-03-05T10:00:00+08:00"),                          // 5,000 of it back
        ])
        let s = try #require(try f.models.record(CustomerSummaryProjector(), key: "C1"))
        let a = try #require(try f.models.record(LoyaltyProjector(), key: "C1"))
        #expect(s.netSpend == 0 && a.netSpend == 0, "summary \(s.netSpend), loyalty \(a.netSpend)")
        #expect(a.receipts["R1"]?.refunded == 10_000 && a.receipts["RX"]?.refunded == 5_000)
    }

    @Test("a return of the goods an exchange issued, keyed twice, takes off spend only what the exchanged receipt had left, in both models")
    func returnOfIssuedGoodsTwice() throws {
        let f = try Fixture("exchange-return-twice"); defer { f.remove() }
        try f.append([
            try Self.purchase("R1", minor: 10_000, at: "2026-03-01T10:00:00+08:00"),
            try Self.exchange("X1", of: "R1", difference: 0, category: "shoes", at: "2026-03-02T10:00:00+08:00"),
            try Self.refund("X1-desk", of: "X1", minor: 10_000, at: "2026-03-03T10:00:00+08:00"),
            try Self.refund("X1-pos", of: "X1", minor: 10_000, at: "2026-03-03T10:05:00+08:00"),       // the same return, from the POS export
            try Self.exchange("X2", of: "X1", difference: 2_000, category: "bags", at: "2026-03-04T10:00:00+08:00"), // paid on top: R1 holds 12,000
            try Self.refund("X2-R", of: "X2", minor: 5_000, at: "2026-03-05T10:00:00+08:00"),          // 2,000 of it left
        ])
        let s = try #require(try f.models.record(CustomerSummaryProjector(), key: "C1"))
        let a = try #require(try f.models.record(LoyaltyProjector(), key: "C1"))
        #expect(s.netSpend == 0 && a.netSpend == 0, "summary \(s.netSpend), loyalty \(a.netSpend)")
        #expect(s.returns == 3 && a.receipts["R1"]?.refunded == 12_000 && a.points == 0, "\(a.json)")
        // The same folded apart from the store (a view as of the head) and rebuilt.
        #expect(try f.models.fold(CustomerSummaryProjector(), asOf: .sequence(6))["C1"]?.netSpend == 0)
        try f.models.rebuild([CustomerSummaryProjector(), LoyaltyProjector()])
        #expect(try f.models.record(CustomerSummaryProjector(), key: "C1") == s)
    }

    @Test("a return of the goods an exchange issued takes back the original receipt's points")
    func returnOfIssuedGoods() throws {
        let f = try Fixture("loyalty-exchange-return"); defer { f.remove() }
        try f.append([
            try Self.purchase("R1", minor: 30_000, at: "2026-03-01T10:00:00+08:00"),                                  // 300 points
            try Self.exchange("X1", of: "R1", difference: 10_000, category: "shoes", at: "2026-03-02T10:00:00+08:00"),  // +100 on R1 (40,000)
            try Self.refund("X1-R", of: "X1", minor: 40_000, at: "2026-03-03T10:00:00+08:00"),                         // all of it back
        ])
        let a = try #require(try f.models.record(LoyaltyProjector(), key: "C1"))
        #expect(a.earned == 400 && a.reversed == 400 && a.points == 0 && a.netSpend == 0, "\(a.json)")
    }

    @Test("recorded points that replace the rule's after a return are reversed in the same share", arguments: [(50_000, 800, 800), (25_000, 800, 400), (50_000, 200, 200)])
    func recordedPointsAfterReturn(refunded: Int, recorded: Int64, back: Int64) throws {
        let f = try Fixture("loyalty-late-points"); defer { f.remove() }
        try f.append([
            try Self.purchase("R1", minor: 50_000, at: "2026-01-02T10:00:00+08:00"),                         // 500 by the rule
            try Self.refund("R1-R", of: "R1", minor: refunded, at: "2026-01-03T10:00:00+08:00"),
            try Self.event("PointsEarned", #"{"points":\#(recorded),"receipt":"R1"}"#, at: "2026-01-02T10:00:00+08:00", id: "pe"), // the POS's, late
        ])
        let a = try #require(try f.models.record(LoyaltyProjector(), key: "C1"))
        #expect(a.earned == recorded && a.reversed == back && a.points == recorded - back, "\(a.json)")
        #expect(a.earned - a.redeemed - a.expired - a.reversed == a.points)
    }

    @Test("an exchange changes spend by its difference: paid, it earns points on the original receipt; refunded, it takes them back")
    func exchanges() throws {
        let f = try Fixture("loyalty-exchange"); defer { f.remove() }
        try f.append([
            try Self.purchase("R1", minor: 30_000, at: "2026-03-01T10:00:00+08:00"),                                  // 300 points
            try Self.exchange("X1", of: "R1", difference: 5_000, category: "shoes", at: "2026-03-02T10:00:00+08:00"),   // +50 on R1 (35,000)
            try Self.exchange("X2", of: "R1", difference: -10_000, category: "bags", at: "2026-03-03T10:00:00+08:00"),  // ⌈350 × 10/35⌉ = 100 back
            try Self.refund("R1-r", of: "R1", minor: 25_000, at: "2026-03-04T10:00:00+08:00"),                         // ⌈350 × 25/35⌉ = 250: the rest
        ])
        let a = try #require(try f.models.record(LoyaltyProjector(), key: "C1"))
        #expect(a.earned == 350 && a.reversed == 350 && a.points == 0 && a.receipts["R1"]?.reversed == 350)
        #expect(a.netSpend == 30_000 + 5_000 - 10_000 - 25_000)
        let s = try #require(try f.models.record(CustomerSummaryProjector(), key: "C1"))
        #expect(s.netSpend == 0 && s.receipts == 1 && s.returns == 1)
        #expect(Array(s.categories) == ["apparel", "shoes", "bags"], "the goods issued count among what the customer buys")
        // The same as of the second exchange: a rebuild and an as-of fold agree with the catch-up.
        let asOf = try f.models.fold(LoyaltyProjector(), asOf: .sequence(3))["C1"]
        #expect(asOf?.points == 250 && asOf?.netSpend == 25_000)
    }

    @Test("a return recorded before its purchase takes the points back when the purchase arrives, as if in order")
    func returnBeforePurchase() throws {
        let f = try Fixture("loyalty-late-purchase"); defer { f.remove() }
        let g = try Fixture("loyalty-in-order"); defer { g.remove() }
        let purchase = try Self.purchase("R9", minor: 50_000, at: "2026-03-01T10:00:00+08:00")                // 500 points
        let refund = try Self.refund("R9-r", of: "R9", minor: 30_000, at: "2026-03-02T10:00:00+08:00")        // ⌈500 × 3/5⌉ = 300 back
        try f.append([refund])
        try f.append([purchase])  // the POS export of the purchase loaded after the desk recorded the return
        try g.append([purchase, refund])
        let late = try #require(try f.models.record(LoyaltyProjector(), key: "C1"))
        let inOrder = try #require(try g.models.record(LoyaltyProjector(), key: "C1"))
        #expect(late.points == 200 && late.reversed == 300 && late.netSpend == 20_000, "\(late)")
        #expect((late.points, late.earned, late.reversed, late.netSpend) == (inOrder.points, inOrder.earned, inOrder.reversed, inOrder.netSpend))
        #expect(late.receipts["R9"]?.refundedBefore == 0 && late.receipts["R9"]?.reversed == 300)
    }

    @Test("a POS purchase earns by the rule; a recorded PointsEarned replaces it, before or after; a receipt never earns twice")
    func ruleAndRecordedPoints() throws {
        let f = try Fixture("loyalty-rule"); defer { f.remove() }
        var config = ClienteleConfiguration()
        config.points.categoryMultipliers = ["cosmetics": 2]
        try f.append([
            try Self.purchase("R1", minor: 12_345, at: "2026-01-05T10:00:00+08:00"),                        // rule: 123
            try Self.purchase("R2", minor: 10_000, category: "cosmetics", at: "2026-01-06T10:00:00+08:00"), // rule: 100 × 2
            try Self.event("PointsEarned", #"{"points":150,"receipt":"R2"}"#, at: "2026-01-06T10:00:01+08:00", id: "R2/points"), // replaces 200
            try Self.event("PointsEarned", #"{"points":40,"receipt":"R3"}"#, at: "2026-01-07T09:59:00+08:00", id: "R3/points"),  // before its purchase
            try Self.purchase("R3", minor: 50_000, at: "2026-01-07T10:00:00+08:00"),                        // earns nothing more
            try Self.event("PointsEarned", #"{"points":5,"reason":"survey"}"#, at: "2026-01-08T10:00:00+08:00", id: "bonus"),
            try Self.event("PointsRedeemed", #"{"points":18}"#, at: "2026-01-09T10:00:00+08:00", id: "redeem"),
            try Self.event("PointsExpired", #"{"points":10}"#, at: "2026-01-10T10:00:00+08:00", id: "expire"),
        ])
        let a = try #require(try f.models.record(LoyaltyProjector(configuration: config), key: "C1"))
        #expect(a.receipts["R1"]?.earned == 123 && a.receipts["R1"]?.byRule == true)
        #expect(a.receipts["R2"]?.earned == 150 && a.receipts["R2"]?.byRule == false)
        #expect(a.receipts["R3"]?.earned == 40 && a.receipts["R3"]?.total == 50_000)
        #expect(a.earned == 123 + 150 + 40 + 5)
        #expect(a.points == 123 + 150 + 40 + 5 - 18 - 10)
        #expect(a.redeemed == 18 && a.expired == 10)
        // The same log under other rules is another model: rebuilt by itself.
        var plain = ClienteleConfiguration()
        plain.points.spendPerPoint = 1000
        let b = try #require(try f.models.record(LoyaltyProjector(configuration: plain), key: "C1"))
        #expect(b.receipts["R1"]?.earned == 12)
    }

    @Test("returns take points back in proportion, never more than the receipt earned, never below zero")
    func returns() throws {
        let f = try Fixture("loyalty-returns"); defer { f.remove() }
        try f.append([
            try Self.purchase("R1", minor: 30_000, at: "2026-02-01T10:00:00+08:00"),      // 300 points
            try Self.refund("R1-a", of: "R1", minor: 10_000, at: "2026-02-02T10:00:00+08:00"), // a third: 100
            try Self.refund("R1-b", of: "R1", minor: 30_000, at: "2026-02-03T10:00:00+08:00"), // claims all: only 200 left
            try Self.refund("R1-c", of: "R1", minor: 30_000, at: "2026-02-04T10:00:00+08:00"), // nothing left
            try Self.refund("X-1", of: "UNKNOWN", minor: 500, at: "2026-02-04T11:00:00+08:00"),
        ])
        let a = try #require(try f.models.record(LoyaltyProjector(), key: "C1"))
        #expect(a.receipts["R1"]?.reversed == 300)
        #expect(a.reversed == 300)
        #expect(a.points == 0)
        // Spend goes down by what R1 had left to refund (10,000, then 20,000, then nothing), and by
        // the whole refund of a receipt the account does not know.
        #expect(a.netSpend == 30_000 - 10_000 - 20_000 - 500)
        #expect(a.receipts["R1"]?.refunded == 30_000)
        // Redeemed first, then returned: the balance floors at zero.
        let g = try Fixture("loyalty-floor"); defer { g.remove() }
        try g.append([
            try Self.purchase("R9", minor: 20_000, at: "2026-02-01T10:00:00+08:00"),
            try Self.event("PointsRedeemed", #"{"points":150}"#, at: "2026-02-01T11:00:00+08:00", id: "redeem"),
            try Self.refund("R9-r", of: "R9", minor: 20_000, at: "2026-02-02T10:00:00+08:00"),
            try Self.purchase("R10", minor: 10_000, at: "2026-02-05T10:00:00+08:00"),
            try Self.event("PointsRedeemed", #"{"points":5000}"#, at: "2026-02-05T11:00:00+08:00", id: "redeem-more"),
            try Self.event("PointsExpired", #"{"points":70}"#, at: "2026-02-06T11:00:00+08:00", id: "expire"),
        ])
        let b = try #require(try g.models.record(LoyaltyProjector(), key: "C1"))
        // R9's 200 points: 150 redeemed, so its return took back the 50 left (the receipt counts all
        // 200 as given back); R10's 100: a redemption of 5,000 took them all, the expiry nothing.
        #expect(b.receipts["R9"]?.reversed == 200)
        #expect(b.points == 0 && b.reversed == 50 && b.redeemed == 250 && b.expired == 0)
        #expect(b.earned - b.redeemed - b.expired - b.reversed == b.points, "the counters add up to the balance")
    }

    @Test("tiers follow net spend and every change is kept; a birthday greeting doubles points for silver")
    func tiersAndHistory() throws {
        let f = try Fixture("loyalty-tiers"); defer { f.remove() }
        try f.append([
            try Self.purchase("R1", minor: 150_000, at: "2026-03-01T10:00:00+08:00"),                 // member: 1500
            try Self.purchase("R2", minor: 100_000, at: "2026-03-05T10:00:00+08:00"),                 // member before: 1000 → silver
            try Self.event("CareContactMade", #"{"kind":"birthday-greeting","channel":"sms"}"#, at: "2026-03-10T09:00:00+08:00", id: "bday"),
            try Self.purchase("R3", minor: 10_000, at: "2026-03-12T10:00:00+08:00"),                  // silver, birthday: 100 × 2
            try Self.purchase("R4", minor: 10_000, at: "2026-05-12T10:00:00+08:00"),                  // window closed: 100
            try Self.refund("R2-r", of: "R2", minor: 100_000, at: "2026-05-20T10:00:00+08:00"),      // back to member
        ])
        let a = try #require(try f.models.record(LoyaltyProjector(), key: "C1"))
        #expect(a.receipts["R3"]?.earned == 200)
        #expect(a.receipts["R4"]?.earned == 100)
        #expect(a.tier == "member")
        #expect(a.tierHistory.map { "\($0.from)→\($0.to)" } == ["member→silver", "silver→member"])
        #expect(a.tierHistory.first.map { Timestamp(microseconds: $0.at, offsetMinutes: $0.offsetMinutes).iso8601.hasPrefix("2026-03-05") } == true)
        // As of a moment before the return, the customer was silver.
        let asOf = try f.models.fold(LoyaltyProjector(), asOf: .time(Timestamp(iso8601: "2026-05-19T00:00:00+08:00")!))
        #expect(asOf["C1"]?.tier == "silver" && asOf["C1"]?.tierHistory.count == 1)
    }

    /// R2, a birthday greeting and R3 are recorded first; R1, which happened before all of them,
    /// comes in a POS file loaded last. In the order they happened R1 (member: 1,000) and R2
    /// (member: 1,500) make the customer silver on 03-05, and R3 falls in the silver birthday
    /// window (100 × 2); in the order recorded R3 would have earned as a member (100) and the tier
    /// changed on 03-01.
    static let lateFile: [(String, String, Int)] = [
        ("R2", "2026-03-05T10:00:00+08:00", 150_000), ("bday", "2026-03-10T09:00:00+08:00", 0),
        ("R3", "2026-03-12T10:00:00+08:00", 10_000), ("R1", "2026-03-01T10:00:00+08:00", 100_000),
    ]
    static func lateFileEvents() throws -> [JSONValue] {
        try lateFile.map { id, at, minor in
            id == "bday" ? try event("CareContactMade", #"{"kind":"birthday-greeting","channel":"sms"}"#, at: at, id: id)
                : try purchase(id, minor: minor, at: at)
        }
    }

    static func expectBusinessOrder(_ a: LoyaltyAccount?, _ how: String) {
        #expect(a?.receipts["R3"]?.earned == 200, "\(how): \(String(describing: a?.json))")
        #expect(a?.points == 2_700 && a?.earned == 2_700, "\(how)")
        #expect(a?.tier == "silver" && a?.tierHistory.count == 1, "\(how)")
        #expect(a?.tierHistory.first.map { Timestamp(microseconds: $0.at, offsetMinutes: $0.offsetMinutes).iso8601.hasPrefix("2026-03-05") } == true, "\(how)")
        #expect(a?.foldedOutOfOrder == false, "\(how): stored or shown folded in order")
    }

    @Test("a POS file loaded after later purchases: the account is folded in the order they happened, live, rebuilt and as of any point")
    func lateFileFoldsInBusinessOrder() throws {
        let f = try Fixture("loyalty-late-file"); defer { f.remove() }
        let docs = try Self.lateFileEvents()
        // Caught up before the late file, then after it (the stored account is folded again).
        try f.append(Array(docs.prefix(3)))
        let before = try #require(try f.models.record(LoyaltyProjector(), key: "C1"))
        #expect(before.receipts["R3"]?.earned == 100, "a member's R3 before R1 was known: \(before.json)")
        try f.append([docs[3]])
        Self.expectBusinessOrder(try f.models.record(LoyaltyProjector(), key: "C1"), "caught up")
        let head = try f.ledger.ledger.head().sequence
        Self.expectBusinessOrder(try f.models.fold(LoyaltyProjector(), asOf: .sequence(head))["C1"], "as of the head")
        Self.expectBusinessOrder(try f.models.fold(LoyaltyProjector(), asOf: .time(Timestamp(iso8601: "2026-04-01T00:00:00+08:00")!))["C1"], "as of a time")
        let view = try #require(try f.models.customerView("C1", asOf: .sequence(head), configuration: ClienteleConfiguration()) { _, _, _ in nil })
        Self.expectBusinessOrder(view.loyalty, "the 360 as of the head")
        // As of the sequence number before the late file, the ledger knew R2, the greeting and R3 only.
        #expect(try f.models.fold(LoyaltyProjector(), asOf: .sequence(head - 1))["C1"]?.receipts["R3"]?.earned == 100)
        let report = try f.models.rebuildReporting([LoyaltyProjector()])
        #expect(report.refolded == ["loyalty": 1])
        Self.expectBusinessOrder(try f.models.storedRecord(LoyaltyProjector(), key: "C1"), "rebuilt")
    }

    @Test("a care contact other than a birthday greeting opens no birthday window, in a view as of a point either")
    func otherCareContactsAsOf() throws {
        let f = try Fixture("loyalty-care-kinds"); defer { f.remove() }
        try f.append([
            try Self.purchase("R1", minor: 250_000, at: "2026-03-01T10:00:00+08:00"),  // silver
            try Self.event("CareContactMade", #"{"kind":"win-back-offer","channel":"sms"}"#, at: "2026-03-10T09:00:00+08:00", id: "offer"),
            try Self.purchase("R2", minor: 10_000, at: "2026-03-12T10:00:00+08:00"),   // no birthday: 100
        ])
        let live = try #require(try f.models.record(LoyaltyProjector(), key: "C1"))
        #expect(live.receipts["R2"]?.earned == 100)
        let head = try f.ledger.ledger.head().sequence
        let view = try #require(try f.models.customerView("C1", asOf: .sequence(head), configuration: ClienteleConfiguration()) { _, _, _ in nil })
        #expect(view.loyalty == live, "\(view.loyalty.json)")
    }
}
