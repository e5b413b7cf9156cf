/// An event as the log gives it back: what was appended plus its place in the log.
public struct RecordedEvent: Sendable, Hashable {
    /// The global, gapless sequence number, starting at 1: the event's key in the log.
    public var sequence: UInt64
    /// The event's position in its customer's stream, starting at 1.
    public var streamVersion: UInt32
    /// When the ledger committed it (UTC).
    public var recordedAt: Timestamp
    /// The SHA-256 chaining this event to the one before it.
    public var chainHash: ChainHash
    /// What happened.
    public var type: String
    /// The version of `type`'s payload schema.
    public var schemaVersion: UInt16
    /// The customer (stream).
    public var customer: String
    /// The store.
    public var store: String
    /// The staff member or system that did it.
    public var actor: String
    /// The channel.
    public var channel: String
    /// When it happened in the world, in its own zone.
    public var occurredAt: Timestamp
    /// The outside identity, when it has one.
    public var source: SourceReference?
    /// The payload bytes.
    public var payload: [UInt8]
}

/// What an append gives back to its caller.
public struct AppendReceipt: Sendable, Hashable {
    /// The event's sequence number in the log.
    public var sequence: UInt64
    /// Its version in the customer's stream.
    public var streamVersion: UInt32
    /// True when the event was already in the log (same source and external id) and nothing was written.
    public var duplicate: Bool

    public init(sequence: UInt64, streamVersion: UInt32, duplicate: Bool) {
        self.sequence = sequence
        self.streamVersion = streamVersion
        self.duplicate = duplicate
    }
}
