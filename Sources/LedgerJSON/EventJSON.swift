import Ledger

/// Why a JSON event could not become a `NewEvent`: the field (a JSON path such as `$.occurredAt`)
/// and the reason, so that a person can fix the input.
public struct EventJSONError: Error, CustomStringConvertible, Sendable, Equatable {
    /// The JSON path of the field at fault (`$` for the whole document).
    public let path: String
    /// What is wrong with it.
    public let reason: String
    public var description: String { "\(path): \(reason)" }
    public init(path: String, reason: String) { self.path = path; self.reason = reason }
}

/// The JSON form of the ledger's envelope, shared by `clientele append`, replay and the service.
///
/// Input: `{"type", "schemaVersion"?, "customer", "store", "actor", "channel", "occurredAt",
/// "source"?, "externalId"?, "expectedVersion"?, "payload"?}` — unknown members are refused.
public enum EventJSON {
    static let members: Set<String> = ["type", "schemaVersion", "customer", "store", "actor", "channel",
                                       "occurredAt", "source", "externalId", "expectedVersion", "payload"]

    /// Parses one line of JSON into an event.
    public static func newEvent(fromJSON line: UnsafeBufferPointer<UInt8>) throws(EventJSONError) -> NewEvent {
        let value: JSONValue
        do {
            value = try JSONParser.parse(line)
        } catch {
            throw EventJSONError(path: "$", reason: error.description)
        }
        return try newEvent(from: value)
    }

    /// Turns a parsed JSON document into an event, checking every member.
    public static func newEvent(from value: JSONValue) throws(EventJSONError) -> NewEvent {
        let envelope = try Envelope(value)
        var event = envelope.event
        event.payload = envelope.payloadBytes
        if case .invalid(let field, let reason)? = event.validate() {
            throw EventJSONError(path: "$.\(field)", reason: reason)
        }
        return event
    }

    /// An envelope read from JSON, its payload still a JSON value (for schema checks and sealing).
    public struct Envelope: Sendable {
        /// The event with every envelope field set; its payload is empty until the caller encodes one.
        public var event: NewEvent
        /// The payload as given (`{}` when absent).
        public var payload: JSONValue
        /// Whether the document named a schema version (otherwise the catalog's current one applies).
        public var schemaVersionGiven: Bool

        /// The payload as compact JSON bytes.
        public var payloadBytes: [UInt8] {
            var writer = JSONWriter()
            writer.write(payload)
            return writer.bytes
        }

        /// Reads and checks the envelope members of `value`.
        public init(_ value: JSONValue) throws(EventJSONError) {
            guard case .object(let members) = value else {
                throw EventJSONError(path: "$", reason: "expected an object, found \(value.kindName)")
            }
            for (key, _) in members where !EventJSON.members.contains(key) {
                throw EventJSONError(path: "$.\(key)", reason: "unknown member; allowed are \(EventJSON.members.sorted().joined(separator: ", "))")
            }
            func string(_ key: String, required: Bool = true) throws(EventJSONError) -> String? {
                guard let v = value[key] else {
                    if required { throw EventJSONError(path: "$.\(key)", reason: "is required") }
                    return nil
                }
                guard let s = v.stringValue else { throw EventJSONError(path: "$.\(key)", reason: "expected a string, found \(v.kindName)") }
                return s
            }
            let type = try string("type")!
            let customer = try string("customer")!
            let store = try string("store")!
            let actor = try string("actor")!
            let channel = try string("channel")!
            let occurredText = try string("occurredAt")!
            guard let occurredAt = Timestamp(iso8601: occurredText) else {
                throw EventJSONError(path: "$.occurredAt", reason: "'\(occurredText)' is not an RFC 3339 time with a zone, e.g. 2026-11-23T10:15:00+08:00")
            }
            var schemaVersion: UInt16 = 1
            schemaVersionGiven = false
            if let v = value["schemaVersion"] {
                guard let n = v.int64Value, n >= 1, n <= Int64(UInt16.max) else {
                    throw EventJSONError(path: "$.schemaVersion", reason: "expected a whole number from 1 to 65535")
                }
                schemaVersion = UInt16(n)
                schemaVersionGiven = true
            }
            let sourceName = try string("source", required: false)
            let externalId = try string("externalId", required: false)
            var source: SourceReference?
            switch (sourceName, externalId) {
            case (let s?, let e?): source = SourceReference(source: s, externalId: e)
            case (nil, nil): source = nil
            case (nil, _): throw EventJSONError(path: "$.source", reason: "is required when externalId is given")
            case (_, nil): throw EventJSONError(path: "$.externalId", reason: "is required when source is given")
            }
            var expected = ExpectedVersion.any
            if let v = value["expectedVersion"] {
                if v.stringValue == "any" {
                    expected = .any
                } else if let n = v.int64Value, n >= 0, n <= Int64(UInt32.max) {
                    expected = n == 0 ? .noStream : .exactly(UInt32(n))
                } else {
                    throw EventJSONError(path: "$.expectedVersion", reason: "expected \"any\" or a whole number from 0 (no events yet) to 4294967295")
                }
            }
            payload = .object([])
            if let p = value["payload"] {
                guard case .object = p else { throw EventJSONError(path: "$.payload", reason: "expected an object, found \(p.kindName)") }
                payload = p
            }
            event = NewEvent(type: type, schemaVersion: schemaVersion, customer: customer, store: store, actor: actor,
                             channel: channel, occurredAt: occurredAt, source: source, expectedVersion: expected, payload: [])
            if case .invalid(let field, let reason)? = event.validate() {
                throw EventJSONError(path: "$.\(field)", reason: reason)
            }
        }
    }

    /// Writes a stored event as one line of JSON (no newline), straight from its stored bytes;
    /// `payload`, when given, is the JSON shown instead of the stored payload (unsealed, say).
    public static func write(_ record: EventRecord, payload shown: [UInt8]? = nil, into w: inout JSONWriter) {
        w.raw("{\"sequence\":"); w.number(record.sequence)
        w.raw(",\"streamVersion\":"); w.number(UInt64(record.streamVersion))
        w.raw(",\"type\":"); w.string(utf8: record.typeBytes)
        w.raw(",\"schemaVersion\":"); w.number(UInt64(record.schemaVersion))
        w.raw(",\"customer\":"); w.string(utf8: record.customerBytes)
        w.raw(",\"store\":"); w.string(utf8: record.storeBytes)
        w.raw(",\"actor\":"); w.string(utf8: record.actorBytes)
        w.raw(",\"channel\":"); w.string(utf8: record.channelBytes)
        w.raw(",\"occurredAt\":\""); record.occurredAt.writeISO8601(into: &w.bytes)
        w.raw("\",\"recordedAt\":\""); record.recordedAt.writeISO8601(into: &w.bytes)
        w.raw("\"")
        if record.hasSource {
            w.raw(",\"source\":"); w.string(utf8: record.sourceBytes)
            w.raw(",\"externalId\":"); w.string(utf8: record.externalIdBytes)
        }
        w.raw(",\"payload\":")
        if let shown { w.raw(shown) } else if record.payloadBytes.isEmpty { w.raw("{}") } else { w.raw(record.payloadBytes) }
        w.raw(",\"hash\":\""); record.chainHash.writeHex(into: &w.bytes); w.raw("\"}")
    }
}
