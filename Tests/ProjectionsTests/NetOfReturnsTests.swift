import Testing
import CustomerEvents
import Ledger
import LedgerJSON
import Projections

/// Segments and the churn model are net of returns: a receipt refunded in full is no purchase.
@Suite("Purchases net of returns")
struct NetOfReturnsTests {
    typealias L = LoyaltyTests

    @Test("a receipt refunded in full leaves the purchase days and the last purchase, unless another purchase holds them")
    func refundedInFull() throws {
        let f = try Fixture("net-of-returns"); defer { f.remove() }
        let g = try Fixture("net-of-returns-ref"); defer { g.remove() }
        // Six receipts in the first half of 2026 (the first among the older receipts by the end),
        // and what a customer who made only the purchases kept would have.
        var kept: [JSONValue] = []
        for (n, day) in ["01-05", "01-20", "02-03", "02-17", "03-02", "03-02"].enumerated() {
            kept.append(try L.purchase("R\(n)", minor: 10_000, at: "2026-\(day)T1\(n):00:00+08:00"))
        }
        try g.append(kept)
        try f.append(kept + [
            try L.purchase("R-dec", minor: 30_000, at: "2026-12-01T10:00:00+08:00"),            // bought on 1 December,
            try L.refund("R-dec-r1", of: "R-dec", minor: 10_000, at: "2026-12-02T10:00:00+08:00"), // returned in two goes
            try L.refund("R-dec-r2", of: "R-dec", minor: 20_000, at: "2026-12-02T11:00:00+08:00"),
            try L.refund("R0-r", of: "R0", minor: 10_000, at: "2026-12-03T10:00:00+08:00"),         // the first receipt, an older one, in full
            try L.refund("R5-r", of: "R5", minor: 10_000, at: "2026-12-03T11:00:00+08:00"),         // one of the two receipts of 2 March
            try L.refund("R4-r", of: "R4", minor: 5_000, at: "2026-12-03T12:00:00+08:00"),          // the other, in part
        ])
        let s = try #require(try f.models.record(CustomerSummaryProjector(), key: "C1"))
        let reference = try #require(try g.models.record(CustomerSummaryProjector(), key: "C1"))
        let days = Array(reference.purchaseDays)
        #expect(Array(s.purchaseDays) == Array(days.dropFirst()), "5 January and 1 December are gone, 2 March stays: \(Array(s.purchaseDays)) vs \(days)")
        #expect(s.lastPurchaseAt == Timestamp(iso8601: "2026-03-02T14:00:00+08:00")?.microseconds, "R4, the receipt of 2 March kept in part")
        #expect(s.firstPurchaseAt == Timestamp(iso8601: "2026-01-20T11:00:00+08:00")?.microseconds)
        #expect(s.receipts == 7 && s.returns == 5 && s.netSpend == 60_000 - 10_000 - 10_000 - 5_000)
        // The same as of the head, and rebuilt.
        #expect(try f.models.fold(CustomerSummaryProjector(), asOf: .time(Timestamp(iso8601: "2027-01-01T00:00:00Z")!))["C1"]?.purchaseDays == s.purchaseDays)
        try f.models.rebuild([CustomerSummaryProjector()])
        #expect(try f.models.record(CustomerSummaryProjector(), key: "C1") == s)
    }

    @Test("spend left without a purchase left (paid on top of a receipt bought elsewhere) is no buyer to rank")
    func spendWithoutPurchase() throws {
        let f = try Fixture("spend-no-purchase"); defer { f.remove() }
        var docs = [
            try L.purchase("R1", minor: 10_000, at: "2025-01-05T10:00:00+08:00"),
            try L.refund("R1-R", of: "R1", minor: 10_000, at: "2025-01-06T10:00:00+08:00"),
            try L.exchange("X2", of: "RX", difference: 5_000, category: "shoes", at: "2025-01-07T10:00:00+08:00"),
        ]
        for k in 2...10 {
            docs.append(try L.event("PurchaseRecorded", #"{"receipt":"R\#(k)","lines":[{"sku":"A","category":"apparel","quantity":1,"unitPrice":{"minor":1000,"currency":"CNY"}}],"total":{"minor":1000,"currency":"CNY"}}"#,
                                    at: "2026-0\(k % 9 + 1)-10T10:00:00+08:00", customer: "C\(k)", id: "R\(k)"))
        }
        try f.append(docs)
        let s = try #require(try f.models.record(CustomerSummaryProjector(), key: "C1"))
        #expect(s.netSpend == 5_000 && s.purchaseDays.isEmpty && !s.hasBoughtNetOfReturns)
        let ranked = Segmentation.assign(try f.stored(CustomerSummaryProjector()).map { ($0.key, $0.value) }, now: Timestamp(iso8601: "2026-12-01T00:00:00+08:00")!)
        #expect(ranked["C1"]?.rfm == nil && ranked["C2"]?.rfm != nil, "\(String(describing: ranked["C1"]))")
    }

    @Test("every receipt refunded in full: no purchase day, no last purchase; something paid on top again counts it")
    func everythingReturned() throws {
        let f = try Fixture("all-returned"); defer { f.remove() }
        try f.append([
            try L.purchase("R1", minor: 10_000, at: "2026-03-01T10:00:00+08:00"),
            try L.refund("R1-r", of: "R1", minor: 10_000, at: "2026-03-02T10:00:00+08:00"),
        ])
        let s = try #require(try f.models.record(CustomerSummaryProjector(), key: "C1"))
        #expect(s.purchaseDays.isEmpty && s.lastPurchaseAt == nil && s.firstPurchaseAt == nil && !s.hasBoughtNetOfReturns)
        try f.append([try L.exchange("X1", of: "R1", difference: 2_000, category: "shoes", at: "2026-03-03T10:00:00+08:00")])
        let again = try #require(try f.models.record(CustomerSummaryProjector(), key: "C1"))
        #expect(again.purchaseDays.count == 1 && again.lastPurchaseAt == Timestamp(iso8601: "2026-03-01T10:00:00+08:00")?.microseconds, "\(again.json)")
    }
}
