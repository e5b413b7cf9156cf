import Testing
import TestSupport
import CustomerEvents
import Ledger
import LedgerJSON
import Projections
import SyntheticChain

/// The rebuild's own fold (models shared between threads, customer-keyed models by customer slot)
/// against the plain fold by key that catch-up and as-of use.
@Suite("Rebuild fold")
struct RebuildFoldTests {
    func same<P: KeyedProjector>(_ p: P, _ f: Fixture, head: UInt64) throws where P.Record: Equatable {
        let stored = try f.stored(p)
        let folded = try f.models.fold(p, asOf: .sequence(head))
        #expect(stored.count == folded.count, "\(P.name): as many records")
        #expect(stored == folded, "\(P.name): the same records")
    }

    @Test("every stored model rebuilt in one go equals its fold by key", arguments: [21 as UInt64, 22])
    func rebuildEqualsFold(seed: UInt64) throws {
        let f = try Fixture("rebuildfold"); defer { f.remove() }
        try f.append(f.chain(customers: 300, days: 200, seed: seed))
        try f.models.rebuild(ProjectionStore.storedModels())
        let head = try f.ledger.ledger.head().sequence
        try same(CustomerSummaryProjector(), f, head: head)
        try same(LoyaltyProjector(), f, head: head)
        try same(ComplaintStatusProjector(), f, head: head)
        try same(DailySummaryProjector(), f, head: head)
        #expect(try f.stored(CustomerSummaryProjector()).count == 300)
    }
}
