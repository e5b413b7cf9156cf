import Ledger

/// A point in the past: what the ledger knew at a sequence number (recorded order), or what the
/// world looked like at a time (business time: events that occurred by then).
///
/// Every reader that takes `--as-of` or `asOf` parses it here (`AsOf(text)`) and asks
/// `includes(sequence:occurredAt:)` which events it holds, so a time and a sequence number mean
/// the same thing to the CLI, the service and the reports.
public enum AsOf: Sendable, Equatable {
    case sequence(UInt64)
    case time(Timestamp)

    /// Reads `2026-03-31T23:59:59+08:00` as a time and `12345` as a sequence number.
    public init?(_ text: String) {
        if let n = UInt64(text) { self = .sequence(n) } else if let t = Timestamp(iso8601: text) { self = .time(t) } else { return nil }
    }

    /// Whether the ledger as of this point holds an event: recorded at or before sequence N, or
    /// occurred at or before the time. (Sequence 0 holds nothing.)
    public func includes(sequence: UInt64, occurredAt: Timestamp) -> Bool {
        switch self {
        case .sequence(let n): return sequence <= n
        case .time(let t): return occurredAt <= t
        }
    }

    /// The sequence numbers an index scan as of this point need visit: up to N, or all of them
    /// for a time (whose events are then picked with `includes`). Never empty, so a scan can take
    /// it as it is; for sequence 0 filter with `includes` too.
    public var sequences: ClosedRange<UInt64> {
        switch self {
        case .sequence(let n): return 1...max(1, n)
        case .time: return 1...UInt64.max
        }
    }
}
