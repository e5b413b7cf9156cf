/// An event as the log gives it back: what was appended plus its place in the log.
///
/// It owns a copy of the stored bytes (one allocation) and reads each field from them when
/// asked, so that a scan pays for the fields it uses and nothing more. Two recorded events are
/// equal when their stored bytes are.
public struct RecordedEvent: Sendable, Hashable {
    /// The stored value: envelope then chain hash (see `EventEnvelope`).
    public let storedBytes: [UInt8]

    init(validated bytes: [UInt8]) { storedBytes = bytes }

    /// Reads the event back from bytes in the stored format; nil when they are not a whole event.
    public init?(storedBytes bytes: [UInt8]) {
        guard bytes.withUnsafeBytes({ EventRecord($0) }) != nil else { return nil }
        storedBytes = bytes
    }

    @inline(__always)
    private func read<T>(_ field: (EventRecord) -> T) -> T {
        storedBytes.withUnsafeBytes { field(EventRecord(unchecked: $0)) }
    }

    /// The global, gapless sequence number, starting at 1: the event's key in the log.
    public var sequence: UInt64 { read(\.sequence) }
    /// The event's position in its customer's stream, starting at 1.
    public var streamVersion: UInt32 { read(\.streamVersion) }
    /// When the ledger committed it (UTC).
    public var recordedAt: Timestamp { read(\.recordedAt) }
    /// The SHA-256 chaining this event to the one before it.
    public var chainHash: ChainHash { read(\.chainHash) }
    /// What happened.
    public var type: String { read { String(decoding: $0.typeBytes, as: UTF8.self) } }
    /// The version of `type`'s payload schema.
    public var schemaVersion: UInt16 { read(\.schemaVersion) }
    /// The customer (stream).
    public var customer: String { read { String(decoding: $0.customerBytes, as: UTF8.self) } }
    /// The store.
    public var store: String { read { String(decoding: $0.storeBytes, as: UTF8.self) } }
    /// The staff member or system that did it.
    public var actor: String { read { String(decoding: $0.actorBytes, as: UTF8.self) } }
    /// The channel.
    public var channel: String { read { String(decoding: $0.channelBytes, as: UTF8.self) } }
    /// When it happened in the world, in its own zone.
    public var occurredAt: Timestamp { read(\.occurredAt) }
    /// The outside identity, when it has one.
    public var source: SourceReference? {
        read { r in
            r.hasSource ? SourceReference(source: String(decoding: r.sourceBytes, as: UTF8.self),
                                          externalId: String(decoding: r.externalIdBytes, as: UTF8.self)) : nil
        }
    }
    /// The payload bytes (a copy).
    public var payload: [UInt8] { read { [UInt8]($0.payloadBytes) } }

    /// Lends the stored event as a zero-copy view for the duration of `body`.
    public func withRecord<R>(_ body: (EventRecord) throws -> R) rethrows -> R {
        try storedBytes.withUnsafeBytes { try body(EventRecord(unchecked: $0)) }
    }
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

extension RecordedEvent {
    /// Business-time order: by occurred-at, then by sequence number (the order a view as of a time
    /// folds in).
    public static func inBusinessOrder(_ a: RecordedEvent, _ b: RecordedEvent) -> Bool {
        (a.occurredAt.microseconds, a.sequence) < (b.occurredAt.microseconds, b.sequence)
    }
}
