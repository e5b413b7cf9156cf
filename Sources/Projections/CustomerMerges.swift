import CustomerEvents
import Ledger
import LedgerJSON

/// Which customer records are the same person, as the log's `CustomersMerged` and
/// `CustomersUnmerged` events say at a point: each merged record and the record its history now
/// counts under (the survivor: the stream the merge was recorded in, followed through later merges
/// of the survivor itself).
///
/// Not a stored model: merges are rare, and the ledger's index of event types finds them without
/// reading the rest of the log, so the map is folded from them whenever a reader needs it (live or
/// as of any point) and nothing about it can go stale. The customer-keyed models keep each
/// record's own fold; readers that show a person (the 360) or rank people (segments, churn, the
/// care agenda) fold a survivor's whole group together (`ProjectionStore.mergedRecords`).
public struct CustomerMerges: Sendable, Equatable {
    /// Each merged record and the survivor its history counts under (after following chains).
    public private(set) var survivors: [String: String] = [:]
    /// Each survivor's merged records, sorted.
    public private(set) var groups: [String: [String]] = [:]

    /// True when no record is merged into another.
    public var isEmpty: Bool { survivors.isEmpty }

    /// The record `customer`'s history counts under: its survivor, or itself when not merged.
    public func survivor(of customer: String) -> String { survivors[customer] ?? customer }

    /// The records whose events fold into `customer`'s: itself first, then those merged into it.
    public func members(of customer: String) -> [String] { [customer] + (groups[customer] ?? []) }

    /// The merges made by `decisions`, in the order they apply: each merges (or, when `merged` is
    /// false, unmerges) `other` into (from) `into`. A merge of a record into itself, or into one
    /// already merged into it (a cycle), is ignored; a record merged again moves to its new survivor;
    /// an unmerge undoes only a merge into that same record.
    public init(decisions: [(into: String, other: String, merged: Bool)]) {
        var direct: [String: String] = [:]
        func root(_ id: String) -> String {
            var at = id, steps = 0
            while let next = direct[at], steps <= direct.count { at = next; steps += 1 }
            return at
        }
        for d in decisions {
            if d.merged {
                guard d.into != d.other, root(d.into) != d.other else { continue }
                direct[d.other] = d.into
            } else if direct[d.other] == d.into {
                direct[d.other] = nil
            }
        }
        for id in direct.keys {
            let s = root(id)
            survivors[id] = s
            groups[s, default: []].append(id)
        }
        for k in groups.keys { groups[k]!.sort() }
    }

    /// The event types that change the map.
    public static let eventTypes: [String] = ["CustomersMerged", "CustomersUnmerged"]

    /// The map as the log says live, or as of `point` (a time: merges that occurred by then, in
    /// business-time order; a sequence number: those recorded by then, in recorded order).
    public static func read(from ledger: CustomerLedger, asOf point: AsOf?) throws -> CustomerMerges {
        var found: [(occurred: Int64, sequence: UInt64, into: String, other: String, merged: Bool)] = []
        for type in eventTypes {
            try ledger.ledger.scan(EventQuery(.type(type), sequences: point?.sequences ?? 1...UInt64.max)) { e in
                guard point?.includes(sequence: e.sequence, occurredAt: e.occurredAt) ?? true else { return true }
                guard let other = mergedCustomer(in: e.payload) else { return true }
                found.append((e.occurredAt.microseconds, e.sequence, e.customer, other, type == "CustomersMerged"))
                return true
            }
        }
        if case .time? = point {
            found.sort { ($0.occurred, $0.sequence) < ($1.occurred, $1.sequence) }
        } else {
            found.sort { $0.sequence < $1.sequence }
        }
        return CustomerMerges(decisions: found.map { ($0.into, $0.other, $0.merged) })
    }

    /// The `mergedCustomer` member of a merge event's stored payload (never sealed).
    static func mergedCustomer(in payload: [UInt8]) -> String? {
        guard let value = try? payload.withUnsafeBufferPointer({ try JSONParser.parse($0) }), case .object(let members) = value else { return nil }
        for (k, v) in members where k == "mergedCustomer" { return v.stringValue }
        return nil
    }

    /// The event types of a merged record that do not fold into its survivor's models: the other
    /// record's registration, profile and erasure describe that record, not the person's history
    /// (the survivor keeps its own profile; erasing the other record erases only its data).
    static let recordOnlyTypes: Set<String> = ["CustomerRegistered", "CustomerProfileUpdated", "CustomerErased"]
}

extension CustomerMerges {
    /// The events that fold into `survivor`'s models under these merges: the streams of all its
    /// members, up to `point`, in the order a fold takes them (recorded order live and as of a
    /// sequence number; business time, then recorded order, as of a time), less the merged
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
            events.sort { ($0.occurredAt.microseconds, $0.sequence) < ($1.occurredAt.microseconds, $1.sequence) }
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

    /// The events that fold into `survivor`'s models under `merges` (`CustomerMerges.events`).
    public func mergedEvents(of survivor: String, merges: CustomerMerges, asOf point: AsOf?) throws -> [RecordedEvent] {
        try merges.events(of: survivor, asOf: point, in: ledger)
    }

    /// `summaries` (every customer's, live or as of `point`, in id order) with merged records
    /// joined to their survivors (`CustomerMerges.applied`). Unchanged when nothing is merged (the
    /// common case: two lookups in the index of types).
    public func applyingMerges(to summaries: [(String, CustomerSummary)], asOf point: AsOf?) throws -> [(String, CustomerSummary)] {
        try merges(asOf: point).applied(to: summaries, asOf: point, in: ledger)
    }

    /// Every customer's summary, live (caught up first) or folded as of `point`, with merged
    /// records joined to their survivors (`applyingMerges`), and the moment they describe.
    public func customerSummaries(asOf point: AsOf?) throws -> (records: [(String, CustomerSummary)], now: Timestamp) {
        let (records, now) = try snapshot(CustomerSummaryProjector(), asOf: point)
        return (try applyingMerges(to: records, asOf: point), now)
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
    /// records joined to their survivors (`applyingMerges`), without gathering them.
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

extension CustomerMerges {
    /// The consents of the person whose record `customer` is: the consent events of every record
    /// in its group (its survivor's and those merged into it), as of `time` (business time) and/or
    /// `sequence` (0: nothing yet), decided as `ConsentState` decides them (the later decision by
    /// business time, then recorded order, whichever record it was recorded on). A merged record's
    /// erasure erases that record's data, not the person's consents. Without merges, the
    /// record's own consents (`CustomerLedger.consents(of:asOf:sequence:)`).
    public func consents(of customer: String, in ledger: CustomerLedger, asOf time: Timestamp? = nil, sequence: UInt64? = nil) throws -> ConsentState {
        let survivor = survivor(of: customer)
        let members = members(of: survivor)
        guard members.count > 1 else { return try ledger.consents(of: customer, asOf: time, sequence: sequence) }
        var state = ConsentState()
        if sequence == 0 { return state }
        let decisions = ConsentState.eventTypes.subtracting([Array("CustomerErased".utf8)])
        for member in members {
            let types = member == survivor ? ConsentState.eventTypes : decisions
            try ledger.scanForFold(EventQuery(.customer(member), sequences: 1...(sequence ?? .max)), types: types) { event in
                if let time, event.recorded.occurredAt > time { return true }
                state.apply(event)
                return true
            }
        }
        return state
    }
}
