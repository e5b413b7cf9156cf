import CustomerEvents
import Ledger
import LedgerJSON

extension CustomerMerges {
    /// The map as the log says live, or as of `point` (a time: merges that occurred by then, in
    /// business-time order; a sequence number: those recorded by then, in recorded order).
    public static func read(from ledger: CustomerLedger, asOf point: AsOf?) throws -> CustomerMerges {
        switch point {
        case nil: return try read(from: ledger)
        case .sequence(let n)?: return try read(from: ledger, through: n)
        case .time(let t)?: return try read(from: ledger, occurredBy: t)
        }
    }
}

extension CustomerMerges {
    /// The events that fold into `survivor`'s models under these merges: the streams of all its
    /// members, up to `point`, in the order a fold takes them (recorded order live and as of a
    /// sequence number, which a model that folds in business-time order sorts again; business
    /// time, then recorded order, as of a time), less the merged
    /// records' own registration, profile and erasure (`recordOnlyTypes`).
    public func events(of survivor: String, asOf point: AsOf?, in ledger: CustomerLedger) throws -> [RecordedEvent] {
        var events: [RecordedEvent] = []
        for member in members(of: survivor) {
            var stream = EventQuery(.customer(member), sequences: point?.sequences ?? 1...UInt64.max)
            stream.includesObservations = false // access records change nothing a fold keeps
            try ledger.ledger.scan(stream) { e in
                guard point?.includes(sequence: e.sequence, occurredAt: e.occurredAt) ?? true else { return true }
                if member != survivor, Self.recordOnlyTypes.contains(e.type) { return true }
                events.append(e)
                return true
            }
        }
        if case .time? = point {
            events.sort(by: RecordedEvent.inBusinessOrder)
        } else {
            events.sort { $0.sequence < $1.sequence }
        }
        return events
    }

    /// Each survivor's summary folded from its group, as of `point`.
    public func summaries(asOf point: AsOf?, in ledger: CustomerLedger) throws -> [String: CustomerSummary] {
        var out: [String: CustomerSummary] = [:]
        for survivor in groups.keys {
            let events = try events(of: survivor, asOf: point, in: ledger)
            guard !events.isEmpty else { continue }
            var summary = CustomerSummary()
            CustomerSummaryProjector().fold(events, into: &summary, catalog: ledger.catalog)
            out[survivor] = summary
        }
        return out
    }

    /// `summaries` (every customer's as of `point`, in id order) as the people they are: each
    /// merged record left out, each survivor's summary folded from its whole group. What segments,
    /// churn and the care agenda rank.
    public func applied(to summaries: [(String, CustomerSummary)], asOf point: AsOf?, in ledger: CustomerLedger) throws -> [(String, CustomerSummary)] {
        guard !isEmpty else { return summaries }
        var grouped = try self.summaries(asOf: point, in: ledger)
        var out: [(String, CustomerSummary)] = []
        out.reserveCapacity(summaries.count)
        for (id, s) in summaries where survivors[id] == nil {
            out.append((id, grouped.removeValue(forKey: id) ?? s))
        }
        // A survivor with no summary of its own (its stream held nothing the summary folds).
        if !grouped.isEmpty {
            out += grouped.map { ($0.key, $0.value) }
            out.sort { $0.0 < $1.0 }
        }
        return out
    }
}

extension ProjectionStore {
    /// The merges the log records, live or as of `point`.
    public func merges(asOf point: AsOf?) throws -> CustomerMerges {
        try CustomerMerges.read(from: ledger, asOf: point)
    }

    /// Every customer's summary, live (caught up first) or folded as of `point`, with merged
    /// records joined to their survivors (`CustomerMerges.applied`; unchanged when nothing is
    /// merged, the common case: two lookups in the index of types), and the moment they describe.
    public func customerSummaries(asOf point: AsOf?) throws -> (records: [(String, CustomerSummary)], now: Timestamp) {
        let (records, now) = try snapshot(CustomerSummaryProjector(), asOf: point)
        return (try merges(asOf: point).applied(to: records, asOf: point, in: ledger), now)
    }
}

/// Walks customers in id order with merges applied, alongside a pass over the stored summaries in
/// key order: says which stored records to leave out (merged) or replace (survivors, folded from
/// their group), and hands over the survivors that have no stored record of their own in their
/// place among the others. One pass, nothing gathered but the groups' summaries.
struct MergedSummaryOrder {
    let merges: CustomerMerges
    private var grouped: [String: CustomerSummary]
    private let survivors: [String]
    private var next = 0

    init(_ merges: CustomerMerges, grouped: [String: CustomerSummary]) {
        self.merges = merges
        self.grouped = grouped
        survivors = grouped.keys.sorted()
    }

    /// What to do with stored record `id` (ids come ascending): `emit` first receives the survivors
    /// without a stored record that come before it. Returns nil to leave the record out, else the
    /// summary to use in its place (nil inside: the stored one as it is).
    mutating func visit(_ id: String, emit: (String, CustomerSummary) throws -> Void) rethrows -> CustomerSummary?? {
        if next < survivors.count { try flush(before: id, emit: emit) }
        if merges.survivors[id] != nil { return nil }
        return .some(grouped.removeValue(forKey: id))
    }

    /// Hands `emit` the survivors without a stored record left after the last one.
    mutating func finish(emit: (String, CustomerSummary) throws -> Void) rethrows {
        try flush(before: nil, emit: emit)
    }

    private mutating func flush(before id: String?, emit: (String, CustomerSummary) throws -> Void) rethrows {
        while next < survivors.count, id.map({ survivors[next] < $0 }) ?? true {
            if let s = grouped.removeValue(forKey: survivors[next]) { try emit(survivors[next], s) }
            next += 1
        }
    }
}

extension ProjectionStore {
    /// The merges and summaries to walk the stored summaries with (`MergedSummaryOrder`); nil when
    /// nothing is merged.
    func mergedSummaryOrder() throws -> MergedSummaryOrder? {
        let merges = try merges(asOf: nil)
        guard !merges.isEmpty else { return nil }
        return MergedSummaryOrder(merges, grouped: try merges.summaries(asOf: nil, in: ledger))
    }

    /// Visits every customer's stored summary in id order (as stored: catch up first), merged
    /// records joined to their survivors (as `customerSummaries`), without gathering them.
    public func visitCustomerSummaries(_ body: (String, CustomerSummary) throws -> Void) throws {
        guard var order = try mergedSummaryOrder() else {
            try storedRecords(CustomerSummaryProjector()) { k, r in try body(k, r); return true }
            return
        }
        try storedRecords(CustomerSummaryProjector()) { k, r in
            if let use = try order.visit(k, emit: body) { try body(k, use ?? r) }
            return true
        }
        try order.finish(emit: body)
    }
}

