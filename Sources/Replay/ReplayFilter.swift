import Ledger
import Projections
#if canImport(Glibc)
import Glibc
#endif

/// Which events a replay covers: a window by sequence number or occurred-at time, and
/// optionally one store, some types, one customer.
public struct ReplayFilter: Sendable {
    /// From this point on (included).
    public var from: AsOf?
    /// Up to this point (included).
    public var until: AsOf?
    /// Only this store's events.
    public var store: String?
    /// Only events of these types (all when empty).
    public var types: [String]
    /// Only this customer's events.
    public var customer: String?

    private let typeBytes: [[UInt8]]
    private let storeBytes: [UInt8]?

    public init(from: AsOf? = nil, until: AsOf? = nil, store: String? = nil, types: [String] = [], customer: String? = nil) {
        self.from = from
        self.until = until
        self.store = store
        self.types = types
        self.customer = customer
        typeBytes = types.map { Array($0.utf8) }
        storeBytes = store.map { Array($0.utf8) }
    }

    /// The index walk: a customer's stream, a store's or a type's index, or the log; always in sequence order.
    public var query: EventQuery {
        var low: UInt64 = 1, high = UInt64.max
        if case .sequence(let n)? = from { low = max(1, n) }
        if case .sequence(let n)? = until { high = n }
        let range = low...max(low, high)
        if let customer { return EventQuery(.customer(customer), sequences: range) }
        if let store { return EventQuery(.store(store), sequences: range) }
        if types.count == 1 { return EventQuery(.type(types[0]), sequences: range) }
        // The log's pages read with pread (`copiesPages`): a replay of the whole log does not hold
        // the file in its resident size.
        var log = EventQuery(.log, sequences: range)
        log.copiesPages = true
        return log
    }

    /// Whether nothing can match (`--until 0`, or an upper sequence below the lower one).
    public var isEmpty: Bool {
        if case .sequence(0)? = until { return true }
        if case .sequence(let a)? = from, case .sequence(let b)? = until { return b < max(1, a) }
        return false
    }

    /// Whether the event in `record` passes the filters the index walk does not apply by itself.
    @inline(__always)
    public func admits(_ record: EventRecord) -> Bool {
        if case .sequence(let n)? = until, record.sequence > n { return false }
        if case .time(let t)? = from, record.occurredAt.microseconds < t.microseconds { return false }
        if case .time(let t)? = until, record.occurredAt.microseconds > t.microseconds { return false }
        if !typeBytes.isEmpty {
            let type = record.typeBytes
            var hit = false
            for t in typeBytes where t.count == type.count {
                if t.withUnsafeBytes({ memcmp($0.baseAddress!, type.baseAddress!, t.count) == 0 }) { hit = true; break }
            }
            if !hit { return false }
        }
        if let storeBytes, customer != nil || !typeBytes.isEmpty {
            let s = record.storeBytes
            if s.count != storeBytes.count || !storeBytes.withUnsafeBytes({ memcmp($0.baseAddress!, s.baseAddress!, s.count) == 0 }) { return false }
        }
        return true
    }
}
