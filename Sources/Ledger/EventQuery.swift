/// Which events a scan visits, and through which index.
public struct EventQuery: Sendable, Hashable {
    /// The index a scan walks.
    public enum Index: Sendable, Hashable {
        /// The log itself, in sequence order.
        case log
        /// One customer's events: their stream (in version order, which is sequence order) and
        /// their observations (access records, which take no stream position), merged in
        /// sequence order; see `includesObservations`.
        case customer(String)
        /// One event type, in sequence order.
        case type(String)
        /// One store, in sequence order.
        case store(String)
        /// One actor, in sequence order.
        case actor(String)
        /// Occurred-at time (business time) in `[from, until)`, µs since the epoch; in time order.
        case occurred(from: Int64, until: Int64)
    }

    /// The index to walk.
    public var index: Index
    /// Only events whose sequence number is in this range.
    public var sequences: ClosedRange<UInt64>
    /// Whether a customer's scan returns the observations of the customer (the access records),
    /// merged in sequence order, as well as their stream; folds that skip them say false, and the
    /// scan does not look for them.
    public var includesObservations = true
    /// Whether the scan lets go of the ledger's mapped pages as it passes (`MappedFileBudget`),
    /// so that its resident size stays near what the reader holds itself. For folds over much of
    /// the log (a rebuild, a view as of a past point); off by default, since re-mapping pages
    /// costs time (`MappedFileBudget`).
    public var releasesMappedPages = false
    /// Whether a scan reads the log's pages with `pread` into runs of its own rather than through
    /// the map: the log itself in order (`Transaction.scanCopying`), or the events an index of
    /// types, stores, actors or times lists (`CopyingLookup`). For scans over much of a large log
    /// (a rebuild, a view as of a past point, an export), where mapping each page costs the kernel
    /// more than copying it, and the resident size then holds the runs, not the log. A customer's
    /// scan, the index itself, and a ledger file in a format those readers do not know go through
    /// the map as before.
    public var copiesPages = false

    /// A query over `index`, limited to `sequences`.
    public init(_ index: Index, sequences: ClosedRange<UInt64> = 1...UInt64.max) {
        self.index = index
        self.sequences = sequences
    }

    /// Every event in log order, optionally from and through given sequence numbers.
    public static func all(from: UInt64 = 1, through: UInt64 = .max) -> EventQuery {
        EventQuery(.log, sequences: max(1, from)...max(max(1, from), through))
    }
    /// One customer's events.
    public static func customer(_ id: String) -> EventQuery { EventQuery(.customer(id)) }
    /// The events of one type.
    public static func type(_ name: String) -> EventQuery { EventQuery(.type(name)) }
    /// The events of one store.
    public static func store(_ id: String) -> EventQuery { EventQuery(.store(id)) }
    /// The events one staff member or system did.
    public static func actor(_ id: String) -> EventQuery { EventQuery(.actor(id)) }
    /// The events that occurred in `[from, until)`.
    public static func occurred(from: Timestamp, until: Timestamp) -> EventQuery {
        EventQuery(.occurred(from: from.microseconds, until: until.microseconds))
    }
}
