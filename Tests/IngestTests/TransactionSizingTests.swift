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

    @Test("once a commit was observed, transactions are sized by the pages per event it wrote")
    func observed() {
        var sizing = TransactionSizing(maximum: 50_000, budget: 128 << 20)
        // A load whose keys mostly arrive in order: 0.2 pages per event. The largest transactions.
        sizing.observe(events: 40_000, bytesWritten: 8_000 * 4096)
        #expect(sizing.limit(ledgerEvents: 50_000_000) == 50_000)
        // Nearly a page per event (random keys in a large ledger): the budget decides, with room to spare.
        sizing.observe(events: 50_000, bytesWritten: 45_000 * 4096)
        let limit = sizing.limit(ledgerEvents: 8_000_000)
        #expect(limit < 50_000 && limit > 25_000)
        #expect(Double(limit) * 0.9 * 4096 <= Double(128 << 20))
        // Nothing written (or nothing known) changes nothing.
        sizing.observe(events: 0, bytesWritten: 0)
        #expect(sizing.limit(ledgerEvents: 8_000_000) == limit)
        #expect(TransactionSizing(maximum: 10).limit(ledgerEvents: 0) == 10)
    }
}
