/// The binary form of an event in the log (format 1), documented in docs/log-format.md.
///
/// A value in the `log` database is the envelope followed by the 32-byte chain hash.
/// Numbers inside the value are little-endian; keys are big-endian so that key order is log order.
///
///     offset size field
///      0     1   format (1)
///      1     1   flags (bit 0: has source reference)
///      2     2   schema version
///      4     4   stream version
///      8     8   sequence number (the same as the key, so a value moved to another key is caught)
///     16     8   occurred-at, µs since the epoch (UTC)
///     24     8   recorded-at, µs since the epoch (UTC)
///     32     2   occurred-at zone offset, minutes
///     34     2   recorded-at zone offset, minutes
///     36     1   type length         37 1 customer length    38 1 store length
///     39     1   actor length        40 1 channel length     41 1 source length
///     42     2   external id length  44 4 payload length
///     48     …   type, customer, store, actor, channel, source, external id, payload (UTF-8 / bytes)
///      …    32   SHA-256(previous event's hash ‖ bytes 0 ..< here)
public enum EventEnvelope {
    /// The format byte this build writes and reads.
    public static let format: UInt8 = 1
    /// Bytes before the variable part.
    public static let headerSize = 48
    /// Bytes of the chain hash after the envelope.
    public static let hashSize = 32

    /// The size of `event`'s envelope (without the hash).
    @inline(__always)
    static func size(of event: NewEvent) -> Int {
        headerSize + event.type.utf8.count + event.customer.utf8.count + event.store.utf8.count
            + event.actor.utf8.count + event.channel.utf8.count
            + (event.source.map { $0.source.utf8.count + $0.externalId.utf8.count } ?? 0)
            + event.payload.count
    }

    /// Writes `event`'s envelope at the start of `out`, which holds at least `size(of:)` bytes.
    @inline(__always)
    static func encode(_ event: NewEvent, sequence: UInt64, streamVersion: UInt32, recordedAt: Timestamp,
                       into out: UnsafeMutableRawBufferPointer) {
        out.storeBytes(of: format, toByteOffset: 0, as: UInt8.self)
        out.storeBytes(of: event.source == nil ? 0 : 1, toByteOffset: 1, as: UInt8.self)
        out.storeBytes(of: event.schemaVersion.littleEndian, toByteOffset: 2, as: UInt16.self)
        out.storeBytes(of: streamVersion.littleEndian, toByteOffset: 4, as: UInt32.self)
        out.storeBytes(of: sequence.littleEndian, toByteOffset: 8, as: UInt64.self)
        out.storeBytes(of: event.occurredAt.microseconds.littleEndian, toByteOffset: 16, as: Int64.self)
        out.storeBytes(of: recordedAt.microseconds.littleEndian, toByteOffset: 24, as: Int64.self)
        out.storeBytes(of: event.occurredAt.offsetMinutes.littleEndian, toByteOffset: 32, as: Int16.self)
        out.storeBytes(of: recordedAt.offsetMinutes.littleEndian, toByteOffset: 34, as: Int16.self)
        var at = headerSize
        @inline(__always) func put(_ s: String, lengthAt: Int) {
            let n = s.utf8.count
            out.storeBytes(of: UInt8(n), toByteOffset: lengthAt, as: UInt8.self)
            writeUTF8(s, to: out, at: at)
            at += n
        }
        put(event.type, lengthAt: 36)
        put(event.customer, lengthAt: 37)
        put(event.store, lengthAt: 38)
        put(event.actor, lengthAt: 39)
        put(event.channel, lengthAt: 40)
        if let source = event.source {
            put(source.source, lengthAt: 41)
            let n = source.externalId.utf8.count
            out.storeBytes(of: UInt16(n).littleEndian, toByteOffset: 42, as: UInt16.self)
            writeUTF8(source.externalId, to: out, at: at)
            at += n
        } else {
            out.storeBytes(of: 0, toByteOffset: 41, as: UInt8.self)
            out.storeBytes(of: 0, toByteOffset: 42, as: UInt16.self)
        }
        out.storeBytes(of: UInt32(event.payload.count).littleEndian, toByteOffset: 44, as: UInt32.self)
        event.payload.withUnsafeBytes { p in
            if p.count > 0 { (out.baseAddress! + at).copyMemory(from: p.baseAddress!, byteCount: p.count) }
        }
    }
}

@inline(__always)
func writeUTF8(_ s: String, to out: UnsafeMutableRawBufferPointer, at offset: Int) {
    var s = s
    s.withUTF8 { u in
        if u.count > 0 { (out.baseAddress! + offset).copyMemory(from: u.baseAddress!, byteCount: u.count) }
    }
}

/// A zero-copy view of one stored event: fields are read from the map on demand.
///
/// Valid only inside the read closure that produced it (its bytes live in LMDB's map).
public struct EventRecord {
    /// The whole stored value: envelope then chain hash.
    public let bytes: UnsafeRawBufferPointer

    /// Where each variable field ends (type, customer, store, actor, channel, source, external id, payload).
    @usableFromInline let ends: (Int32, Int32, Int32, Int32, Int32, Int32, Int32, Int32)

    /// Wraps a stored value after checking that its lengths add up; nil when they do not.
    @inline(__always)
    public init?(_ bytes: UnsafeRawBufferPointer) {
        guard bytes.count >= EventEnvelope.headerSize + EventEnvelope.hashSize, bytes.count < Int(Int32.max),
              bytes[0] == EventEnvelope.format else { return nil }
        self.bytes = bytes
        let e0 = Int32(EventEnvelope.headerSize) + Int32(bytes[36])
        let e1 = e0 + Int32(bytes[37])
        let e2 = e1 + Int32(bytes[38])
        let e3 = e2 + Int32(bytes[39])
        let e4 = e3 + Int32(bytes[40])
        let e5 = e4 + Int32(bytes[41])
        let e6 = e5 + Int32(UInt16(littleEndian: bytes.loadUnaligned(fromByteOffset: 42, as: UInt16.self)))
        let payload = UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: 44, as: UInt32.self))
        guard payload < UInt32(Int32.max) - UInt32(e6) else { return nil }
        let e7 = e6 + Int32(payload)
        guard Int(e7) + EventEnvelope.hashSize == bytes.count else { return nil }
        ends = (e0, e1, e2, e3, e4, e5, e6, e7)
    }

    /// The envelope bytes the chain hash covers.
    @inline(__always) public var envelope: UnsafeRawBufferPointer { slice(0, ends.7) }
    /// The stored chain hash.
    @inline(__always) public var chainHash: ChainHash { ChainHash(bytes: slice(ends.7, ends.7 + Int32(EventEnvelope.hashSize))) }
    @inline(__always) public var hasSource: Bool { bytes[1] & 1 != 0 }
    @inline(__always) public var schemaVersion: UInt16 { UInt16(littleEndian: bytes.loadUnaligned(fromByteOffset: 2, as: UInt16.self)) }
    @inline(__always) public var streamVersion: UInt32 { UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: 4, as: UInt32.self)) }
    @inline(__always) public var sequence: UInt64 { UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: 8, as: UInt64.self)) }
    @inline(__always) public var occurredAt: Timestamp {
        Timestamp(microseconds: Int64(littleEndian: bytes.loadUnaligned(fromByteOffset: 16, as: Int64.self)),
                  offsetMinutes: Int16(littleEndian: bytes.loadUnaligned(fromByteOffset: 32, as: Int16.self)))
    }
    @inline(__always) public var recordedAt: Timestamp {
        Timestamp(microseconds: Int64(littleEndian: bytes.loadUnaligned(fromByteOffset: 24, as: Int64.self)),
                  offsetMinutes: Int16(littleEndian: bytes.loadUnaligned(fromByteOffset: 34, as: Int16.self)))
    }

    @inline(__always)
    func slice(_ start: Int32, _ end: Int32) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(start: bytes.baseAddress! + Int(start), count: Int(end - start))
    }

    @inline(__always) public var typeBytes: UnsafeRawBufferPointer { slice(Int32(EventEnvelope.headerSize), ends.0) }
    @inline(__always) public var customerBytes: UnsafeRawBufferPointer { slice(ends.0, ends.1) }
    @inline(__always) public var storeBytes: UnsafeRawBufferPointer { slice(ends.1, ends.2) }
    @inline(__always) public var actorBytes: UnsafeRawBufferPointer { slice(ends.2, ends.3) }
    @inline(__always) public var channelBytes: UnsafeRawBufferPointer { slice(ends.3, ends.4) }
    @inline(__always) public var sourceBytes: UnsafeRawBufferPointer { slice(ends.4, ends.5) }
    @inline(__always) public var externalIdBytes: UnsafeRawBufferPointer { slice(ends.5, ends.6) }
    @inline(__always) public var payloadBytes: UnsafeRawBufferPointer { slice(ends.6, ends.7) }

    /// True when the event carries exactly this source reference.
    public func matches(_ reference: SourceReference) -> Bool {
        guard hasSource else { return false }
        var source = reference.source, external = reference.externalId
        return source.withUTF8 { s in sourceBytes.elementsEqual(UnsafeRawBufferPointer(s)) }
            && external.withUTF8 { e in externalIdBytes.elementsEqual(UnsafeRawBufferPointer(e)) }
    }

    /// Copies the event out of the map into an owned value: one allocation and one copy.
    @inline(__always)
    public func decode() -> RecordedEvent {
        RecordedEvent(validated: [UInt8](unsafeUninitializedCapacity: bytes.count) { buffer, count in
            UnsafeMutableRawPointer(buffer.baseAddress!).copyMemory(from: bytes.baseAddress!, byteCount: bytes.count)
            count = bytes.count
        })
    }

    /// Wraps bytes already known to be a whole stored event.
    @inline(__always)
    init(unchecked bytes: UnsafeRawBufferPointer) { self = EventRecord(bytes)! }
}
