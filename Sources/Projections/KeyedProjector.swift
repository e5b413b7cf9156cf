import CustomerEvents
import Ledger
import LedgerJSON

/// A read model folded from the log, one record per key (a customer, a complaint, a store-day).
///
/// `apply` is the whole projector: pure, total (it cannot fail), and it never writes events.
/// Records are stored as JSON in the model's own LMDB database, with the last sequence number
/// folded in and the projector's version; a new version rebuilds from the log by itself.
/// Records hold no personal data: a reader unseals that from the log when it shows a record.
public protocol KeyedProjector: Sendable {
    /// What is kept per key.
    associatedtype Record: ProjectionRecord
    /// A stable name, used as the database name (`rm:<name>`).
    static var name: String { get }
    /// Bump it when `apply` or `Record` changes meaning: stored state of another version is rebuilt.
    static var version: Int { get }
    /// The keys an event touches (none for events this model ignores).
    func keys(for event: CatalogEvent) -> [String]
    /// The event types `apply` reads (nil: all); the others are skipped without being decoded.
    var eventTypes: Set<String>? { get }
    /// A record for a key seen for the first time.
    func initial(key: String) -> Record
    /// Folds one event into one record.
    func apply(_ record: inout Record, _ event: CatalogEvent)
}

/// A record that can be stored: JSON in, JSON out (no Foundation).
public protocol ProjectionRecord: Sendable {
    init?(json: JSONValue)
    var json: JSONValue { get }
}

extension KeyedProjector {
    public var eventTypes: Set<String>? { nil }

    /// `eventTypes` as UTF-8, to compare with stored bytes.
    var eventTypeBytes: Set<[UInt8]>? { eventTypes.map { Set($0.map { Array($0.utf8) }) } }
}
