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
        var expected: [String: (visits: Int, purchases: Int, revenue: Int64, returns: Int, complaints: Int)] = [:]
        for d in docs {
            let at = Timestamp(iso8601: d["occurredAt"]!.stringValue!)!
            let key = DailySummaryProjector.key(store: d["store"]!.stringValue!, at: at)
            var e = expected[key] ?? (0, 0, 0, 0, 0)
            switch d["type"]!.stringValue! {
            case "VisitRecorded": e.visits += 1
            case "PurchaseRecorded": e.purchases += 1; e.revenue += d["payload"]!["total"]!["minor"]!.int64Value!
            case "ReturnRecorded": e.returns += 1
            case "ComplaintFiled": e.complaints += 1
            default: break
            }
            expected[key] = e
        }
        var seen = 0
        var keys = Set<String>()
        try f.models.records(DailySummaryProjector()) { key, s in
            keys.insert(key)
            let e = expected[key] ?? (0, 0, 0, 0, 0)
            #expect(s.visits == e.visits && s.purchases == e.purchases && s.revenue == e.revenue && s.returns == e.returns
                    && s.complaintsOpened == e.complaints, "\(key)")
            seen += 1
            return true
        }
        #expect(seen > 100)
        for (key, e) in expected where e.visits + e.purchases + e.returns + e.complaints > 0 {
            #expect(keys.contains(key), "no summary for \(key)")
        }
        #expect(DailySummaryProjector.key(store: "S1", at: Timestamp(iso8601: "2026-11-23T23:30:00+08:00")!) == "S1|2026-11-23")
        #expect(DailySummaryProjector.key(store: "S1", at: Timestamp(iso8601: "2026-11-23T16:30:00Z")!) == "S1|2026-11-23")
    }
}
