import Ledger
import LedgerJSON

/// A reading of customers' personal data, put on record before the data is shown: one
/// `PersonalDataAccessed` event per customer whose data it showed (who read it is the event's
/// actor; why, through what and which fields are its payload).
///
/// Every screen, command and endpoint that unseals personal data builds its record here, so
/// the records all have the same shape. The events are made directly (the payload written in
/// the schema's terms) rather than checked as JSON documents: the service appends one for
/// every 360 read, and a test holds them to the catalog's schema.
public struct PersonalDataAccess: Sendable {
    /// Who read: `token:NAME` or `os:USER`.
    public var actor: String
    /// Why (at most 200 characters are kept; an empty purpose is recorded as `unspecified`).
    public var purpose: String
    /// The screen, command or API route that showed the data.
    public var endpoint: String
    /// The personal fields shown (names of profile fields), when the reader knows them.
    public var fields: [String]
    /// When it was read.
    public var at: Timestamp

    /// The schema version of the payload written here.
    public static let schemaVersion: UInt16 = 1
    /// The event type.
    public static let type = "PersonalDataAccessed"

    public init(actor: String, purpose: String, endpoint: String, fields: [String] = [], at: Timestamp = .now()) {
        self.actor = actor
        self.purpose = purpose
        self.endpoint = endpoint
        self.fields = fields
        self.at = at
    }

    /// The event recording that this reading showed `customer`'s data, done at `store`.
    public func event(customer: String, store: String) -> NewEvent {
        NewEvent(type: Self.type, schemaVersion: Self.schemaVersion, customer: customer, store: store, actor: actor,
                 channel: "system", occurredAt: at, payload: payload)
    }

    /// The events for several customers read together, each with the store it was read at.
    public func events(_ customers: [(customer: String, store: String)]) -> [NewEvent] {
        let bytes = payload
        return customers.map {
            NewEvent(type: Self.type, schemaVersion: Self.schemaVersion, customer: $0.customer, store: $0.store, actor: actor,
                     channel: "system", occurredAt: at, payload: bytes)
        }
    }

    /// Puts this reading of `customers` on record and waits until it is durable: the caller shows
    /// their data only after this returns. In transactions of at most `perTransaction` events, so
    /// that an export showing a million customers holds a bounded batch at a time.
    /// - Throws: the first append that failed (the customers from its transaction on are not on
    ///   record, and their data must not be shown).
    public func record(_ customers: [(customer: String, store: String)], in ledger: Ledger, perTransaction: Int = 10_000) throws(AppendError) {
        var start = 0
        while start < customers.count {
            let end = min(customers.count, start + max(1, perTransaction))
            for result in ledger.appendAndWait(events(Array(customers[start..<end]))) {
                if case .failure(let error) = result { throw error }
            }
            start = end
        }
    }

    /// `{"purpose":…,"fields":[…],"endpoint":…}` within the schema's limits.
    var payload: [UInt8] {
        var w = JSONWriter(capacity: 128)
        w.raw("{\"purpose\":")
        w.string(Self.clipped(purpose, to: 200, empty: "unspecified"))
        let shown = fields.filter { !$0.isEmpty }.map { Self.clipped($0, to: 64, empty: "") }
        if !shown.isEmpty {
            w.raw(",\"fields\":[")
            for (i, f) in shown.enumerated() {
                if i > 0 { w.raw(",") }
                w.string(f)
            }
            w.raw("]")
        }
        w.raw(",\"endpoint\":")
        w.string(Self.clipped(endpoint, to: 200, empty: "unspecified"))
        w.raw("}")
        return w.bytes
    }

    /// At most `limit` Unicode scalars (what JSON Schema's maxLength counts).
    ///
    /// A text no longer than `limit` bytes has no more than `limit` scalars, so it is kept as
    /// it is without being walked (each 360 read clips eight of them).
    static func clipped(_ s: String, to limit: Int, empty: String) -> String {
        if s.isEmpty { return empty }
        if s.utf8.count <= limit { return s }
        let scalars = s.unicodeScalars
        guard let end = scalars.index(scalars.startIndex, offsetBy: limit, limitedBy: scalars.endIndex) else { return s }
        return String(scalars[..<end])
    }
}
