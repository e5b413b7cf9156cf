import Testing
import CustomerEvents
import Ledger
import LedgerJSON
import Projections

@Suite("Daily summary")
struct DailySummaryTests {
    @Test("each store-day's counts equal a direct count over the generated events")
    func counts() throws {
        let f = try Fixture("daily"); defer { f.remove() }
        let docs = f.chain(customers: 200, days: 90, seed: 17)
        try f.append(docs)
        var expected: [String: (visits: Int, purchases: Int, revenue: Int64, returns: Int, complaints: Int, callbacks: Int, reached: Int)] = [:]
        for d in docs {
            let at = Timestamp(iso8601: d["occurredAt"]!.stringValue!)!
            let key = DailySummaryProjector.key(store: d["store"]!.stringValue!, at: at)
            var e = expected[key] ?? (0, 0, 0, 0, 0, 0, 0)
            switch d["type"]!.stringValue! {
            case "VisitRecorded": e.visits += 1
            case "PurchaseRecorded": e.purchases += 1; e.revenue += d["payload"]!["total"]!["minor"]!.int64Value!
            case "ReturnRecorded": e.returns += 1
            case "ComplaintFiled": e.complaints += 1
            case "CallbackLogged": e.callbacks += 1; if d["payload"]!["reached"] == .bool(true) { e.reached += 1 }
            default: break
            }
            expected[key] = e
        }
        var seen = 0, callbacks = 0, unreached = 0
        var keys = Set<String>()
        try f.models.records(DailySummaryProjector()) { key, s in
            keys.insert(key)
            let e = expected[key] ?? (0, 0, 0, 0, 0, 0, 0)
            #expect(s.visits == e.visits && s.purchases == e.purchases && s.revenue == e.revenue && s.returns == e.returns
                    && s.complaintsOpened == e.complaints && s.callbacks == e.callbacks && s.callbacksReached == e.reached, "\(key)")
            callbacks += s.callbacks; unreached += s.callbacks - s.callbacksReached
            seen += 1
            return true
        }
        #expect(seen > 100)
        #expect(callbacks > 0 && unreached > 0, "the chain's callbacks include some that did not reach the customer")
        for (key, e) in expected where e.visits + e.purchases + e.returns + e.complaints > 0 {
            #expect(keys.contains(key), "no summary for \(key)")
        }
        #expect(DailySummaryProjector.key(store: "S1", at: Timestamp(iso8601: "2026-11-23T23:30:00+08:00")!) == "S1|2026-11-23")
        #expect(DailySummaryProjector.key(store: "S1", at: Timestamp(iso8601: "2026-11-23T16:30:00Z")!) == "S1|2026-11-23")
    }
}

@Suite("Daily summary: money")
struct DailyMoneyTests {
    @Test("a day with refunds only is in the refunds' currency")
    func refundsOnly() throws {
        let f = try Fixture("daily-money"); defer { f.remove() }
        func doc(_ type: String, _ day: String, _ payload: String, id: String) throws -> JSONValue {
            try JSONParser.parse(#"{"type":"\#(type)","customer":"C1","store":"TK","actor":"pos","channel":"pos","occurredAt":"2026-11-\#(day)T10:00:00+09:00","source":"t","externalId":"\#(id)","payload":\#(payload)}"#)
        }
        try f.append([
            try doc("PurchaseRecorded", "20", #"{"receipt":"R1","lines":[{"sku":"A","category":"apparel","quantity":1,"unitPrice":{"minor":1500,"currency":"JPY"}}],"total":{"minor":1500,"currency":"JPY"}}"#, id: "1"),
            try doc("ReturnRecorded", "21", #"{"receipt":"R1-R","originalReceipt":"R1","lines":[{"sku":"A","quantity":1,"refund":{"minor":1500,"currency":"JPY"}}],"refund":{"minor":1500,"currency":"JPY"}}"#, id: "2"),
        ])
        let day = try f.models.dailySummary(store: "TK", date: "2026-11-21", asOf: nil)
        #expect(day.refunded == 1500 && day.currency == "JPY", "\(day.currency ?? "none")")
    }

    @Test("a day's sales and refunds in two currencies are kept apart, live and as of a point")
    func twoCurrencies() throws {
        let f = try Fixture("daily-currencies"); defer { f.remove() }
        func money(_ minor: Int, _ currency: String) -> String { #"{"minor":\#(minor),"currency":"\#(currency)"}"# }
        func sale(_ receipt: String, _ minor: Int, _ currency: String) throws -> JSONValue {
            try JSONParser.parse(#"{"type":"PurchaseRecorded","customer":"C1","store":"MO","actor":"pos","channel":"pos","occurredAt":"2026-11-20T1\#(receipt.count % 10):00:00+08:00","source":"t","externalId":"\#(receipt)","payload":{"receipt":"\#(receipt)","lines":[{"sku":"A","category":"apparel","quantity":1,"unitPrice":\#(money(minor, currency))}],"total":\#(money(minor, currency))}}"#)
        }
        func refund(_ receipt: String, of original: String, _ minor: Int, _ currency: String) throws -> JSONValue {
            try JSONParser.parse(#"{"type":"ReturnRecorded","customer":"C1","store":"MO","actor":"pos","channel":"pos","occurredAt":"2026-11-20T18:00:00+08:00","source":"t","externalId":"\#(receipt)","payload":{"receipt":"\#(receipt)","originalReceipt":"\#(original)","lines":[{"sku":"A","quantity":1,"refund":\#(money(minor, currency))}],"refund":\#(money(minor, currency))}}"#)
        }
        try f.append([
            try sale("R1", 10_000, "CNY"), try sale("R22", 5_000, "HKD"), try sale("R333", 3_000, "HKD"),
            try refund("R22-R", of: "R22", 2_000, "HKD"), try refund("R1-R", of: "R1", 1_000, "CNY"),
        ])
        let day = try f.models.dailySummary(store: "MO", date: "2026-11-20", asOf: nil)
        #expect(day.currency == "CNY" && day.revenue == 10_000 && day.refunded == 1_000, "\(day.json)")
        #expect(day.otherCurrencies == ["HKD": DailySummary.Takings(revenue: 8_000, refunded: 2_000)], "\(day.json)")
        #expect(day.takings(fallback: "CNY").map(\.currency) == ["CNY", "HKD"])
        #expect(day.json["otherCurrencies"]?["HKD"]?["revenue"] == .number("8000"))
        let head = try f.ledger.ledger.head().sequence
        #expect(try f.models.dailySummary(store: "MO", date: "2026-11-20", asOf: .sequence(head)) == day)
        try f.models.rebuild([DailySummaryProjector()])
        #expect(try f.models.dailySummary(store: "MO", date: "2026-11-20", asOf: nil) == day)
        // As of a time (folded in the order the receipts happened), the same day.
        #expect(try f.models.dailySummary(store: "MO", date: "2026-11-20", asOf: .time(Timestamp(iso8601: "2026-11-21T00:00:00+08:00")!)) == day)
    }

    @Test("the day's main currency follows its totals, not the order its receipts were recorded in", arguments: [0, 1, 2, 3, 4, 5])
    func mainCurrencyWhateverTheOrder(rotation: Int) throws {
        let f = try Fixture("daily-main-currency"); defer { f.remove() }
        // An HKD refund, HKD, CNY, USD and EUR sales and a CNY refund, recorded from a different
        // one each time: CNY has the most sales, so it is the main currency every time.
        func money(_ minor: Int, _ currency: String) -> String { #"{"minor":\#(minor),"currency":"\#(currency)"}"# }
        func doc(_ i: Int, _ minor: Int, refund: Bool, _ currency: String) throws -> JSONValue {
            let payload = refund
                ? #"{"receipt":"X\#(i)","originalReceipt":"R\#(i)","lines":[{"sku":"A","quantity":1,"refund":\#(money(minor, currency))}],"refund":\#(money(minor, currency))}"#
                : #"{"receipt":"R\#(i)","lines":[{"sku":"A","category":"apparel","quantity":1,"unitPrice":\#(money(minor, currency))}],"total":\#(money(minor, currency))}"#
            return try JSONParser.parse(#"{"type":"\#(refund ? "ReturnRecorded" : "PurchaseRecorded")","customer":"C1","store":"MO","actor":"pos","channel":"pos","occurredAt":"2026-11-20T1\#(i):00:00+08:00","source":"t","externalId":"e\#(i)","payload":\#(payload)}"#)
        }
        let takings: [(Int, Bool, String)] = [(2_000, true, "HKD"), (5_000, false, "HKD"), (10_000, false, "CNY"), (1_000, true, "CNY"), (3_000, false, "USD"), (3_000, false, "EUR")]
        let docs = try takings.enumerated().map { try doc($0.offset, $0.element.0, refund: $0.element.1, $0.element.2) }
        try f.append(Array(docs[rotation...] + docs[..<rotation]))
        let day = try f.models.dailySummary(store: "MO", date: "2026-11-20", asOf: nil)
        #expect(day.currency == "CNY" && day.revenue == 10_000 && day.refunded == 1_000, "\(day.json)")
        #expect(day.otherCurrencies == ["HKD": .init(revenue: 5_000, refunded: 2_000), "USD": .init(revenue: 3_000), "EUR": .init(revenue: 3_000)])
        #expect(try f.models.dailySummary(store: "MO", date: "2026-11-20", asOf: .time(Timestamp(iso8601: "2026-11-21T00:00:00+08:00")!)) == day)
    }
}

@Suite("Daily summary: the complaints breached each day")
struct DailyBreachTests {
    static func at(_ local: String) -> Int64 { Timestamp(iso8601: local + "+08:00")!.microseconds }

    /// A complaint of store S1 filed, acknowledged and planned on the 23rd and never closed breaks
    /// its close clock the next morning: the 24th's report counts it, the 23rd's and 25th's do not.
    /// One acknowledged late breaks on its filing day; one closed in time never breaks.
    @Test("a complaint counts on the day one of its clocks broke, whichever day it was filed")
    func breachDay() {
        var late = ComplaintRecord(complaint: "CP-LATE")
        late.store = "S1"; late.filedAt = Self.at("2026-11-23T10:00:00"); late.roundStartedAt = late.filedAt
        late.acknowledgedAt = Self.at("2026-11-23T10:10:00"); late.plannedAt = Self.at("2026-11-23T11:00:00")
        var slow = ComplaintRecord(complaint: "CP-SLOW")
        slow.store = "S1"; slow.filedAt = Self.at("2026-11-23T20:00:00"); slow.roundStartedAt = slow.filedAt
        slow.acknowledgedAt = Self.at("2026-11-23T22:00:00")
        var done = ComplaintRecord(complaint: "CP-DONE")
        done.store = "S1"; done.filedAt = Self.at("2026-11-23T09:00:00"); done.roundStartedAt = done.filedAt
        done.acknowledgedAt = Self.at("2026-11-23T09:05:00"); done.resolvedAt = Self.at("2026-11-23T12:00:00"); done.closedAt = Self.at("2026-11-23T18:00:00")
        var elsewhere = late
        elsewhere.complaint = "CP-S2"; elsewhere.store = "S2"
        let records = [late, slow, done, elsewhere], now = Self.at("2026-12-01T00:00:00")
        func day(_ date: String) -> [String] { ComplaintQueue.breached(records, store: "S1", date: date, now: now, sla: SLAConfiguration()) }
        #expect(day("2026-11-23") == ["CP-SLOW"], "acknowledged 2 h after filing: missed that evening")
        #expect(day("2026-11-24") == ["CP-LATE", "CP-SLOW"], "24 h after filing, neither is closed (CP-SLOW's plan broke at midnight)")
        #expect(day("2026-11-25") == [])
        // Judged no later than `now`: at 09:59 on the 24th CP-LATE's close clock had not broken yet.
        #expect(ComplaintQueue.breached(records, store: "S1", date: "2026-11-24", now: Self.at("2026-11-24T09:59:00"), sla: SLAConfiguration()) == ["CP-SLOW"])
    }
}
