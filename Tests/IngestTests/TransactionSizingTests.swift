import Testing
import Foundation
import Ingest

/// Transactions as large as the memory budget allows for the ledger's size.
@Suite("Transaction sizing")
struct TransactionSizingTests {
    @Test("a small ledger takes the largest transactions; a growing one smaller and smaller, within the budget")
    func limits() {
        let sizing = TransactionSizing(maximum: 50_000, budget: 128 << 20)
        #expect(sizing.limit(ledgerEvents: 0) == 50_000)
        #expect(sizing.limit(ledgerEvents: 1_000_000) == 50_000)          // both indexes fit the budget whole
        var previous = Int.max
        for events in stride(from: 2_000_000, through: 100_000_000, by: 2_000_000) {
            let limit = sizing.limit(ledgerEvents: events)
            #expect(limit <= previous && limit >= 1)
            previous = limit
            // The pages two random-key indexes of `events / 80` leaves dirty for `limit` inserts.
            let leaves = Double(events) / 80
            let pages = 2 * leaves * (1 - exp(-Double(limit) / leaves))
            #expect(pages * 4096 <= Double(128 << 20) * 1.0001)
        }
        #expect(sizing.limit(ledgerEvents: 7_500_000) < 20_000 && sizing.limit(ledgerEvents: 7_500_000) > 15_000)
        #expect(TransactionSizing(maximum: 2_000).limit(ledgerEvents: 10_000_000) == 2_000)
    }
}
