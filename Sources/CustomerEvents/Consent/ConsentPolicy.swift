import Ledger
import LedgerJSON

/// The purposes a customer can consent to (domain.md, "Privacy and security").
public enum ConsentPurpose: String, Sendable, CaseIterable {
    case membership, marketing, profiling
}

/// The channels a store can reach a customer through, for consent checks.
public enum ContactChannel: String, Sendable, CaseIterable {
    case sms, email, wechat, phone
}

/// The answer to "may we contact this customer for purpose P on channel C now?", with why.
public struct ConsentDecision: Sendable, Equatable, CustomStringConvertible {
    /// What decided it; put in words only when asked (the 360 view and the care agenda decide
    /// for many channels and customers and show only the answer).
    enum Ground: Sendable, Equatable {
        case erased(at: Timestamp)
        case nothingOnRecord(ConsentPurpose, ContactChannel?)
        /// Profiling with no decision on record: it needs no opt-in, and stops at a withdrawal.
        case noObjection
        /// The deciding grant or withdrawal; `channel` when the channel's own entry decided.
        case entry(ConsentPurpose, channel: ContactChannel?, granted: Bool, at: Timestamp, policy: String)
    }

    public let allowed: Bool
    let ground: Ground

    /// In words: which consent (or withdrawal) decided it, and when.
    public var reason: String {
        switch ground {
        case .erased(let at): return "the customer was erased on \(at.iso8601)"
        case .nothingOnRecord(let purpose, let channel):
            return "no \(purpose.rawValue) consent\(channel.map { " for \($0.rawValue)" } ?? "") on record"
        case .noObjection:
            return "no objection to profiling on record (segments and churn scoring need no opt-in; a withdrawal stops them)"
        case .entry(let purpose, let channel, let granted, let at, let policy):
            let scope = purpose.rawValue + (channel.map { " by \($0.rawValue)" } ?? "")
            return granted ? "\(scope) consent granted on \(at.iso8601) under policy \(policy)" : "\(scope) consent withdrawn on \(at.iso8601)"
        }
    }

    public var description: String { (allowed ? "allowed: " : "refused: ") + reason }
}

/// A customer's consents as a fold over their consent events: the latest grant or withdrawal
/// for each (purpose, channel) wins, a withdrawal without a channel withdraws every channel,
/// and an erasure refuses everything. "Latest" is by business time (when the customer said it),
/// then by recorded order: a grant from January imported after a March withdrawal does not undo
/// the withdrawal. A channel qualifies marketing only: a membership or profiling decision that
/// names one (a clerk's form filled in full) decides the purpose itself.
public struct ConsentState: Sendable, Equatable {
    struct Entry: Sendable, Equatable {
        var granted: Bool
        var at: Timestamp
        var policy: String
        var sequence: UInt64

        /// True when this entry came after `other` (business time, then recorded order).
        func isLater(than other: Entry?) -> Bool {
            guard let other else { return true }
            return at.microseconds != other.at.microseconds ? at.microseconds > other.at.microseconds : sequence > other.sequence
        }
    }
    /// Keyed by purpose, then by channel ("" = every channel).
    var entries: [String: [String: Entry]] = [:]
    var erasedAt: Timestamp?

    public init() {}

    /// Folds one event in (events of other types change nothing).
    /// The event types `apply` reads.
    public static let eventTypes: Set<[UInt8]> = Set(["CustomerErased", "ConsentGranted", "ConsentWithdrawn"].map { Array($0.utf8) })

    public mutating func apply(_ event: CatalogEvent) {
        let t = event.type
        if t == "CustomerErased" { erasedAt = event.recorded.occurredAt; return }
        guard t == "ConsentGranted" || t == "ConsentWithdrawn",
              let purpose = event.payload["purpose"]?.stringValue else { return }
        let channel = purpose == ConsentPurpose.marketing.rawValue ? event.payload["channel"]?.stringValue ?? "" : ""
        let entry = Entry(granted: t == "ConsentGranted", at: event.recorded.occurredAt,
                          policy: event.payload["policyVersion"]?.stringValue ?? "?", sequence: event.recorded.sequence)
        if !entry.granted && channel.isEmpty {
            // Withdrawing a purpose outright withdraws it on every channel (decided before it).
            for key in entries[purpose, default: [:]].keys where entry.isLater(than: entries[purpose]![key]) { entries[purpose]![key] = entry }
        }
        if entry.isLater(than: entries[purpose]?[channel]) { entries[purpose, default: [:]][channel] = entry }
    }

    /// May the store use the customer's data for `purpose`, and contact them on `channel` (for marketing)?
    public func decide(_ purpose: ConsentPurpose, channel: ContactChannel? = nil) -> ConsentDecision {
        if let erasedAt { return ConsentDecision(allowed: false, ground: .erased(at: erasedAt)) }
        let byChannel = entries[purpose.rawValue] ?? [:]
        let specific = channel.flatMap { byChannel[$0.rawValue] }
        let general = byChannel[""]
        // The more recent of the channel's own entry and the purpose-wide one decides.
        let deciding = [specific, general].compactMap { $0 }.max { $1.isLater(than: $0) }
        guard let entry = deciding else {
            // Profiling (segments, churn scores) is the store's own analysis of its customers: done
            // unless the customer objects, as the read models do (`CustomerSummary.refusesProfiling`).
            if purpose == .profiling { return ConsentDecision(allowed: true, ground: .noObjection) }
            return ConsentDecision(allowed: false, ground: .nothingOnRecord(purpose, channel))
        }
        let by = specific != nil && entry == specific ? channel : nil
        return ConsentDecision(allowed: entry.granted, ground: .entry(purpose, channel: by, granted: entry.granted, at: entry.at, policy: entry.policy))
    }
}

extension CustomerLedger {
    /// The customer's consents as of `time` (business time) and/or `sequence` (what the ledger
    /// knew then; 0: nothing yet); by default from every event in the log.
    public func consents(of customer: String, asOf time: Timestamp? = nil, sequence: UInt64? = nil) throws -> ConsentState {
        var state = ConsentState()
        if sequence == 0 { return state }
        // Only the events consent depends on are decoded; none of them carries personal fields.
        try scanForFold(EventQuery(.customer(customer), sequences: 1...(sequence ?? .max)), types: ConsentState.eventTypes) { event in
            if let time, event.recorded.occurredAt > time { return true }
            state.apply(event)
            return true
        }
        return state
    }

    /// The consents folded from just the events at `sequences`, in that order (a read model's
    /// pointers to a customer's consent changes and erasure) instead of a scan of their stream,
    /// which every read of their personal data lengthens. Other events among them are passed over.
    public func consents(at sequences: [UInt64]) throws -> ConsentState {
        var state = ConsentState()
        try ledger.records(sequences) { record in
            if ConsentState.eventTypes.contains(Array(record.typeBytes)) { state.apply(self.read(record, unseal: false)) }
            return true
        }
        return state
    }

    /// "May we contact this customer for `purpose` on `channel` now?"
    public func mayContact(_ customer: String, for purpose: ConsentPurpose, on channel: ContactChannel? = nil, at time: Timestamp? = nil) throws -> ConsentDecision {
        try consents(of: customer, asOf: time).decide(purpose, channel: channel)
    }
}
