import Ledger

/// One end of an audit period: a time (business time, RFC 3339 with a zone) or a sequence number.
public enum AuditBound: Sendable, Equatable {
    case sequence(UInt64)
    case time(Timestamp)

    /// Reads `12345` as a sequence number, anything else as an RFC 3339 time; nil when neither.
    public init?(_ text: String) {
        if let n = UInt64(text) { self = .sequence(n); return }
        guard let t = Timestamp(iso8601: text) else { return nil }
        self = .time(t)
    }
}

/// The events an audit question covers: from and to (both included), by time or sequence number.
public struct AuditPeriod: Sendable, Equatable {
    public var from: AuditBound?
    public var to: AuditBound?

    public init(from: AuditBound? = nil, to: AuditBound? = nil) {
        self.from = from
        self.to = to
    }

    /// The whole log.
    public static let all = AuditPeriod()

    /// The sequence numbers the period can hold (narrowed further by time in `contains`).
    public var sequences: ClosedRange<UInt64> {
        var low: UInt64 = 1, high = UInt64.max
        if case .sequence(let n)? = from { low = max(1, n) }
        if case .sequence(let n)? = to { high = n }
        return low...max(low, high)
    }

    /// Whether the period is empty by its sequence numbers.
    public var isEmpty: Bool {
        if case .sequence(let a)? = from, case .sequence(let b)? = to { return b < max(a, 1) }
        if case .sequence(0)? = to { return true }
        return false
    }

    /// Whether the event falls in the period.
    public func contains(sequence: UInt64, occurredAt: Timestamp) -> Bool {
        if isEmpty { return false }
        switch from {
        case .sequence(let n)?: if sequence < n { return false }
        case .time(let t)?: if occurredAt < t { return false }
        case nil: break
        }
        switch to {
        case .sequence(let n)?: if sequence > n { return false }
        case .time(let t)?: if t < occurredAt { return false }
        case nil: break
        }
        return true
    }
}
