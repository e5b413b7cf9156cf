/// An event as a caller hands it to the ledger, before it has a place in the log.
///
/// The ledger fills in the sequence number, the stream version, the recorded-at time and
/// the chain hash, giving back a `RecordedEvent`.
public struct NewEvent: Sendable, Hashable {
    /// What happened, a fact in the past tense (`PurchaseRecorded`, `ComplaintFiled`).
    public var type: String
    /// The version of `type`'s payload schema the payload was written in.
    public var schemaVersion: UInt16
    /// The customer the event belongs to: the stream it is appended to.
    public var customer: String
    /// The store where it happened.
    public var store: String
    /// Who did it: a staff id, or a system such as `pos-import`.
    public var actor: String
    /// How it reached us: counter, phone, wechat, sms, email, web, pos…
    public var channel: String
    /// When it happened in the world, with its zone (business time).
    public var occurredAt: Timestamp
    /// Where it came from outside (POS receipt and line), for idempotency; nil when it has no outside id.
    public var source: SourceReference?
    /// What the caller believes the customer's stream version to be.
    public var expectedVersion: ExpectedVersion
    /// The payload bytes (JSON text for Clientele's own events; the ledger does not look inside).
    public var payload: [UInt8]

    /// An event to append; see each property for its meaning.
    public init(type: String, schemaVersion: UInt16 = 1, customer: String, store: String, actor: String,
                channel: String, occurredAt: Timestamp, source: SourceReference? = nil,
                expectedVersion: ExpectedVersion = .any, payload: [UInt8]) {
        self.type = type
        self.schemaVersion = schemaVersion
        self.customer = customer
        self.store = store
        self.actor = actor
        self.channel = channel
        self.occurredAt = occurredAt
        self.source = source
        self.expectedVersion = expectedVersion
        self.payload = payload
    }
}

/// The outside identity of an event: a system (`shopify:store-12`) and its id (`#1043/line-2`).
/// The ledger keeps at most one event per reference.
public struct SourceReference: Sendable, Hashable {
    /// The system the event came from.
    public var source: String
    /// The id that system gives it.
    public var externalId: String

    /// A reference to `externalId` in the system `source`.
    public init(source: String, externalId: String) {
        self.source = source
        self.externalId = externalId
    }
}

/// The stream version an append expects, for optimistic concurrency.
public enum ExpectedVersion: Sendable, Hashable {
    /// Append whatever the stream holds.
    case any
    /// The customer must have no events yet.
    case noStream
    /// The customer's last event must have exactly this version (the first event is version 1).
    case exactly(UInt32)

    func admits(_ current: UInt32) -> Bool {
        switch self {
        case .any: return true
        case .noStream: return current == 0
        case .exactly(let v): return v == current
        }
    }
}

/// The limits on an event's fields, in UTF-8 bytes; they keep every index key within LMDB's 511 bytes.
public enum EventLimits {
    public static let type = 1...64
    public static let customer = 1...128
    public static let store = 1...64
    public static let actor = 1...64
    public static let channel = 0...32
    public static let source = 1...64
    public static let externalId = 1...256
    public static let payloadBytes = 0...(16 << 20)
}

extension NewEvent {
    /// Checks the fields against `EventLimits`; nil when the event may be appended.
    public func validate() -> AppendError? {
        func within(_ s: String, _ r: ClosedRange<Int>, _ name: String) -> AppendError? {
            let n = s.utf8.count
            if r.contains(n) { return nil }
            if n == 0 { return .invalid(field: name, reason: "must not be empty") }
            return .invalid(field: name, reason: "is \(n) bytes long; at most \(r.upperBound) are allowed")
        }
        func canonical(_ s: String, _ name: String) -> AppendError? {
            if CanonicalText.isNormalized(s) { return nil }
            return .invalid(field: name, reason: "is not in Unicode normalization form C: the same text has another spelling "
                            + "(such as é written as e and a combining accent), and the ledger keeps each id in one; normalize it to NFC")
        }
        if let e = within(type, EventLimits.type, "type") { return e }
        if let e = within(customer, EventLimits.customer, "customer") { return e }
        if let e = within(store, EventLimits.store, "store") { return e }
        if let e = within(actor, EventLimits.actor, "actor") { return e }
        if let e = canonical(customer, "customer") ?? canonical(store, "store") ?? canonical(actor, "actor") { return e }
        if let e = within(channel, EventLimits.channel, "channel") { return e }
        if let source {
            if let e = within(source.source, EventLimits.source, "source") { return e }
            if let e = within(source.externalId, EventLimits.externalId, "externalId") { return e }
        }
        if !EventLimits.payloadBytes.contains(payload.count) {
            return .invalid(field: "payload", reason: "is \(payload.count) bytes; at most \(EventLimits.payloadBytes.upperBound) are allowed")
        }
        if case .exactly(0) = expectedVersion {
            return .invalid(field: "expectedVersion", reason: "versions start at 1; use noStream for a customer with no events")
        }
        return nil
    }
}
