import Ledger
import CustomerEvents
import Projections

/// Read models folded in memory from the log as of a point, touching no stored state.
public enum ReplayFold {
    /// The moment a point describes: the time itself, the recorded-at of event N, or (no point)
    /// the recorded-at of the last event — never the clock, so that the same log gives the same answer.
    public static func moment(of point: AsOf?, in ledger: CustomerLedger) throws -> Timestamp {
        switch point {
        case .time(let t)?: return t
        case .sequence(let n)?: return try ledger.ledger.event(max(1, n))?.recordedAt ?? Timestamp(microseconds: 0)
        case nil:
            let head = try ledger.ledger.head().sequence
            return head == 0 ? Timestamp(microseconds: 0) : try ledger.ledger.event(head)?.recordedAt ?? Timestamp(microseconds: 0)
        }
    }

    /// `projector`'s records as of `point` (all of the log when nil): by sequence number, what the
    /// ledger knew then (the events recorded by then; each customer's in business-time order for the
    /// models that fold so); by time, the events that occurred by then, in the order they occurred —
    /// exactly as `ProjectionStore.fold(_:asOf:)` and a rebuild over that log do.
    public static func fold<P: KeyedProjector>(_ projector: P, ledger: CustomerLedger, asOf point: AsOf?) throws -> [String: P.Record] {
        try InMemoryFold.fold(projector, ledger: ledger, asOf: point)
    }

    /// Customer summaries at several times, in one pass over the log in occurred-at order:
    /// `body` gets each time (rising) and the summaries as of it.
    public static func summaries(at times: [Timestamp], ledger: CustomerLedger,
                                 _ body: (Timestamp, [(String, CustomerSummary)]) -> Void) throws {
        let sorted = times.sorted()
        guard let last = sorted.last else { return }
        var fold = InMemoryFold(CustomerSummaryProjector(), catalog: ledger.catalog)
        var next = 0
        func emit(before occurred: Int64) {
            while next < sorted.count && sorted[next].microseconds < occurred {
                body(sorted[next], fold.records.sorted { $0.key < $1.key }.map { ($0.key, $0.value) })
                next += 1
            }
        }
        try ledger.ledger.scanRecords(.occurred(from: Timestamp(microseconds: .min / 2), until: Timestamp(microseconds: last.microseconds + 1))) { record in
            emit(before: record.occurredAt.microseconds)
            fold.apply(record)
            return true
        }
        emit(before: .max)
    }
}
