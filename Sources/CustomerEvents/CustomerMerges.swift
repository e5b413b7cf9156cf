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
/// record's own fold; readers that show a person (the 360, the subject-access export), decide for
/// them (consent, erasure) or rank people (segments, churn, the care agenda) take a survivor's
/// whole group together.
public struct CustomerMerges: Sendable, Equatable {
    /// Each merged record and the survivor its history counts under (after following chains).
    public private(set) var survivors: [String: String] = [:]
    /// Each survivor's merged records, sorted.
    public private(set) var groups: [String: [String]] = [:]

    /// True when no record is merged into another.
    public var isEmpty: Bool { survivors.isEmpty }

    /// The record `customer`'s history counts under: its survivor, or itself when not merged.
    public func survivor(of customer: String) -> String { survivors[customer] ?? customer }

    /// True when `customer` is one of several records of a person: merged into another, or with
    /// others merged into it.
    public func isMerged(_ customer: String) -> Bool { survivors[customer] != nil || groups[customer] != nil }

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
        /// True when `target` is `id` or a record `id`'s history counts under.
        func reaches(_ id: String, _ target: String) -> Bool {
            var at = id, steps = 0
            while at != target {
                guard let next = direct[at], steps <= direct.count else { return false }
                at = next
                steps += 1
            }
            return true
        }
        for d in decisions {
            if d.merged {
                guard !reaches(d.into, d.other) else { continue }
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

    /// The map as the log says it: from the merges recorded through `sequence` (in recorded
    /// order), or, given `time`, from those that occurred by then (in business-time order, then
    /// recorded order).
    public static func read(from ledger: CustomerLedger, through sequence: UInt64 = .max, occurredBy time: Timestamp? = nil) throws -> CustomerMerges {
        var found: [(occurred: Int64, sequence: UInt64, into: String, other: String, merged: Bool)] = []
        for type in eventTypes {
            try ledger.ledger.scan(EventQuery(.type(type), sequences: 1...max(1, sequence))) { e in
                guard e.sequence <= sequence, time.map({ e.occurredAt <= $0 }) ?? true else { return true }
                guard let other = mergedCustomer(in: e.payload) else { return true }
                found.append((e.occurredAt.microseconds, e.sequence, e.customer, other, type == "CustomersMerged"))
                return true
            }
        }
        if time != nil {
            found.sort { ($0.occurred, $0.sequence) < ($1.occurred, $1.sequence) }
        } else {
            found.sort { $0.sequence < $1.sequence }
        }
        return CustomerMerges(decisions: found.map { ($0.into, $0.other, $0.merged) })
    }

    /// The `mergedCustomer` member of a merge event's stored payload (never sealed).
    public static func mergedCustomer(in payload: [UInt8]) -> String? {
        guard let value = try? payload.withUnsafeBufferPointer({ try JSONParser.parse($0) }), case .object(let members) = value else { return nil }
        for (k, v) in members where k == "mergedCustomer" { return v.stringValue }
        return nil
    }

    /// The event types of a merged record that do not fold into its survivor's models: the other
    /// record's registration, profile and erasure describe that record, not the person's history
    /// (the survivor keeps its own profile; erasing the other record erases only its data).
    public static let recordOnlyTypes: Set<String> = ["CustomerRegistered", "CustomerProfileUpdated", "CustomerErased"]
}

extension CustomerMerges {
    /// The consents of the person whose record `customer` is: the consent events of every record
    /// in its group (its survivor's and those merged into it), as of `time` (business time) and/or
    /// `sequence` (0: nothing yet), decided as `ConsentState` decides them (the later decision by
    /// business time, then recorded order, whichever record it was recorded on). A merged record's
    /// erasure erases that record's data, not the person's consents. Without merges, the
    /// record's own consents (`CustomerLedger.consents(of:asOf:sequence:)`).
    public func consents(of customer: String, in ledger: CustomerLedger, asOf time: Timestamp? = nil, sequence: UInt64? = nil) throws -> ConsentState {
        guard isMerged(customer) else { return try ledger.consents(of: customer, asOf: time, sequence: sequence) }
        let survivor = survivor(of: customer)
        let members = members(of: survivor)
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
