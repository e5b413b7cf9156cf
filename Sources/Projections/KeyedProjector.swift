import CustomerEvents
import Ledger
import LedgerJSON

/// A read model folded from the log, one record per key (a customer, a complaint, a store-day).
///
/// `apply` is the whole projector: pure, total (it cannot fail), and it never writes events.
/// It reads the event in place (`FoldEvent`: the stored bytes, no JSON values built), so a
/// full rebuild of every model is one scan of the log. Records are stored in a compact binary
/// form (`RecordWriter`) in the model's own LMDB database, with the last sequence number folded
/// in and the projector's version; a new version rebuilds from the log by itself. Records hold
/// no personal data: a reader unseals that from the log when it shows a record.
public protocol KeyedProjector: Sendable {
    /// What is kept per key.
    associatedtype Record: ProjectionRecord
    /// The key in memory (a struct is cheaper than formatting a string per event).
    associatedtype Key: Hashable & Sendable = String
    /// A stable name, used as the database name (`rm:<name>`).
    static var name: String { get }
    /// Bump it when `apply` or `Record`'s encoding changes meaning: stored state of another version is rebuilt.
    static var version: Int { get }
    /// The event kinds `apply` reads; the others are skipped before their payload is looked at.
    var eventKinds: EventKind.Set { get }
    /// The key an event touches (nil for events this model ignores).
    func key(for event: borrowing FoldEvent) -> Key?
    /// The key as stored (and as readers ask for it).
    func storageKey(_ key: Key) -> String
    /// A record for a key seen for the first time.
    func initial(key: Key) -> Record
    /// Folds one event into one record.
    func apply(_ record: inout Record, _ event: borrowing FoldEvent)
    /// A fingerprint of the parameters `apply` depends on (configuration), stored with the
    /// checkpoint: a model folded with other parameters is rebuilt. 0 when there are none.
    var parameters: UInt64 { get }
    /// True for a customer-keyed model whose records depend on the order their events are folded
    /// in (loyalty: a purchase earns by the tier held when it was made). Its records are folded in
    /// business-time order (occurred-at, then sequence number), whatever order the events were
    /// recorded in: live, as of a sequence number and as of a time alike.
    static var foldsInBusinessOrder: Bool { get }
    /// For a model that folds in business-time order: whether `record` took an event that occurred
    /// before one it already held (a POS file loaded late). Such a record is folded again from its
    /// customer's events, in business-time order, before anyone reads it (`refolded`).
    func needsRefold(_ record: Record) -> Bool
    /// The customers whose streams hold the events of `record` (keyed `key`), to fold it again
    /// from. The key itself for a customer-keyed model.
    func streamCustomers(of key: Key, _ record: Record) -> [String]
}

/// A record that can be stored: a compact binary form, written and read without Foundation or JSON.
public protocol ProjectionRecord: Sendable {
    /// Reads what `encode` wrote; nil when the bytes are not such a record.
    init?(stored reader: inout RecordReader)
    /// Writes the record.
    func encode(to writer: inout RecordWriter)
}

extension KeyedProjector {
    public var parameters: UInt64 { 0 }
    public static var foldsInBusinessOrder: Bool { false }
    public func needsRefold(_ record: Record) -> Bool { false }
    public func streamCustomers(of key: Key, _ record: Record) -> [String] { [storageKey(key)] }
}

extension KeyedProjector where Key == String {
    public func storageKey(_ key: String) -> String { key }
}
