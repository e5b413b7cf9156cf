import Ledger
import LedgerJSON

/// Why one incoming event was refused, with the JSON path of the field at fault where there is one.
public enum EventInputError: Error, CustomStringConvertible, Sendable, Equatable {
    /// The envelope or payload breaks the contract in schemas/.
    case invalid(path: String, reason: String)
    /// The personal fields could not be sealed (no master key, an erased customer…).
    case sealing(String)
    /// The ledger refused it (version conflict, storage failure).
    case append(AppendError)

    public var description: String {
        switch self {
        case .invalid(let path, let reason): return "\(path): \(reason)"
        case .sealing(let text): return text
        case .append(let error): return error.description
        }
    }

    /// The JSON path named, if any.
    public var path: String? { if case .invalid(let p, _) = self { return p } else { return nil } }
}

/// The ledger as the catalog sees it: appends are checked against their schemas and their
/// personal fields sealed; reads come back upcast to the current schema version and unsealed
/// (or with personal fields null when the customer was erased).
public final class CustomerLedger: Sendable {
    /// The append-only log underneath.
    public let ledger: Ledger
    /// The customers' data keys.
    public let keys: KeyStore
    /// The schemas.
    public let catalog: SchemaCatalog

    public init(ledger: Ledger, keys: KeyStore, catalog: SchemaCatalog = .builtIn) {
        self.ledger = ledger
        self.keys = keys
        self.catalog = catalog
    }

    /// Opens the ledger at `path` and its key store, with the master key from `masterKeyFile` or
    /// the environment (reads still work without one; personal fields then stay sealed).
    public static func open(path: String, masterKeyFile: String? = nil, options: LedgerOptions = LedgerOptions()) throws -> CustomerLedger {
        var options = options
        options.observationTypes.formUnion(CustomerLedger.observationTypes)
        let ledger = try Ledger(path: path, options: options)
        do {
            var master: MasterKey?
            var loadError: MasterKey.LoadError?
            do { master = try MasterKey.load(file: masterKeyFile) } catch { loadError = error }
            if case .unreadable? = loadError { throw loadError! }
            if case .malformed? = loadError { throw loadError! }
            let keys = try KeyStore(ledgerPath: path, masterKey: master, loadError: loadError)
            return CustomerLedger(ledger: ledger, keys: keys)
        } catch {
            ledger.close()
            throw error
        }
    }

    /// The catalog's observations: reading a customer's personal data is recorded, and a
    /// customer's scan returns the record, but it changes nothing about them: it takes no place in
    /// their stream and never makes a writer's expected version stale.
    public static let observationTypes: Set<String> = [PersonalDataAccess.type]
    static let observationTypeBytes: [[UInt8]] = observationTypes.map { Array($0.utf8) }

    /// `query`, told not to look for observations when none of `types` is one.
    static func skippingObservations(_ query: EventQuery, unless types: Set<[UInt8]>) -> EventQuery {
        var q = query
        if !observationTypeBytes.contains(where: types.contains) { q.includesObservations = false }
        return q
    }

    /// Closes the key store and the ledger.
    public func close() {
        keys.close()
        ledger.close()
    }

    // MARK: Writing

    /// Checks one envelope against the catalog: the envelope's members, then its payload's schema.
    public func check(_ json: JSONValue) throws(EventInputError) -> (event: NewEvent, payload: JSONValue, schema: CompiledSchema) {
        let envelope: EventJSON.Envelope
        do { envelope = try EventJSON.Envelope(json) } catch { throw .invalid(path: error.path, reason: error.reason) }
        var event = envelope.event
        guard let current = catalog.currentVersions[event.type] else {
            throw .invalid(path: "$.type", reason: "'\(event.type)' is not an event type of the catalog (known: \(catalog.types.joined(separator: ", ")))")
        }
        if !envelope.schemaVersionGiven { event.schemaVersion = current }
        guard SchemaCatalog.channels.contains(event.channel) else {
            throw .invalid(path: "$.channel", reason: "'\(event.channel)' is not one of: \(SchemaCatalog.channels.sorted().joined(separator: ", "))")
        }
        if let violation = catalog.validate(type: event.type, version: event.schemaVersion, payload: envelope.payload) {
            throw .invalid(path: violation.path, reason: violation.reason)
        }
        return (event, envelope.payload, catalog.schema(event.type, version: event.schemaVersion)!)
    }

    /// Turns JSON envelopes into events ready for the log: checked, personal fields sealed (keys
    /// for new customers made in one transaction). One result per input, in order.
    public func prepare(_ documents: [JSONValue]) -> [Result<NewEvent, EventInputError>] {
        prepare(documents, sealing: true)
    }

    /// `prepare`, with sealing optional: only for measuring what sealing costs (never in production).
    @_spi(Benchmarks)
    public func prepare(_ documents: [JSONValue], sealing: Bool) -> [Result<NewEvent, EventInputError>] {
        var checked: [CheckedEvent] = []
        var failures: [Int: EventInputError] = [:]
        checked.reserveCapacity(documents.count)
        for (i, doc) in documents.enumerated() {
            do {
                let (event, payload, schema) = try check(doc)
                checked.append(CheckedEvent(event: event, payload: payload, schema: schema))
            } catch {
                failures[i] = error
            }
        }
        var sealed = seal(checked, sealing: sealing).makeIterator()
        return documents.indices.map { i in failures[i].map { .failure($0) } ?? sealed.next()! }
    }

    /// Checks, seals and appends, blocking the calling thread (for command-line tools); one result
    /// per document. Async callers prepare (`prepare`) and append through `Ledger.append`.
    public func appendAndWait(_ documents: [JSONValue]) -> [Result<AppendReceipt, EventInputError>] {
        let prepared = prepare(documents)
        let ready = prepared.compactMap { try? $0.get() }
        var appended = ledger.appendAndWait(ready).makeIterator()
        return prepared.map { p in
            p.flatMap { _ in appended.next()!.mapError { .append($0) } }
        }
    }

    // MARK: Reading

    /// The event as readers see it: upcast to the current schema, personal fields unsealed.
    public func read(_ recorded: RecordedEvent) -> CatalogEvent {
        recorded.withRecord { read($0, recorded: recorded) }
    }

    func read(_ record: EventRecord, recorded: RecordedEvent? = nil, unseal: Bool = true) -> CatalogEvent {
        let recorded = recorded ?? record.decode()
        let type = recorded.type
        var payload: JSONValue = (try? JSONParser.parse(UnsafeBufferPointer(start: record.payloadBytes.baseAddress?.assumingMemoryBound(to: UInt8.self), count: record.payloadBytes.count))) ?? .object([])
        var outcome = PersonalDataSealer.Outcome.none
        if unseal, case .object(let members) = payload, members.contains(where: { $0.0 == PersonalDataSealer.member }) {
            let customer = recorded.customer
            let state = (try? keys.key(for: customer)) ?? .locked
            var key: DataKey?
            var erased = false
            switch state {
            case .active(let k): key = k
            case .erased: erased = true
            case .none, .locked: break
            }
            (payload, outcome) = PersonalDataSealer.unseal(payload, key: key, erased: erased, customer: customer)
        }
        let stored = recorded.schemaVersion
        let current = catalog.currentVersions[type] ?? stored
        if stored < current { payload = Upcasters.upcast(payload, type: type, from: stored, to: current) }
        return CatalogEvent(recorded: recorded, schemaVersion: max(stored, current), storedSchemaVersion: stored, payload: payload, personalData: outcome)
    }

    /// Visits the events `query` selects as catalog events; `body` returns false to stop.
    public func scan(_ query: EventQuery, _ body: (CatalogEvent) throws -> Bool) throws {
        try ledger.scanRecords(query) { record in try body(self.read(record)) }
    }

    /// Like `scan`, decoding (and unsealing) only events whose type is in `types`.
    public func scan(_ query: EventQuery, types: Set<[UInt8]>, _ body: (CatalogEvent) throws -> Bool) throws {
        try ledger.scanRecords(Self.skippingObservations(query, unless: types)) { record in
            if !types.contains(Array(record.typeBytes)) { return true }
            return try body(self.read(record))
        }
    }

    /// Like `scan`, decoding only events whose type is in `types`, and unsealing only those whose
    /// type is also in `unsealing` (one pass for a reader that needs a few types' personal fields
    /// and a few others' plain fields, such as the 360 view's profile and consents).
    public func scan(_ query: EventQuery, types: Set<[UInt8]>, unsealing: Set<[UInt8]>, _ body: (CatalogEvent) throws -> Bool) throws {
        try ledger.scanRecords(Self.skippingObservations(query, unless: types)) { record in
            let type = Array(record.typeBytes)
            if !types.contains(type) { return true }
            return try body(self.read(record, unseal: unsealing.contains(type)))
        }
    }

    /// The events with the given sequence numbers, as catalog events, unsealing only those whose
    /// type is in `unsealing`; `body` returns false to stop.
    public func events(_ sequences: [UInt64], unsealing: Set<[UInt8]>, _ body: (CatalogEvent) throws -> Bool) throws {
        try ledger.records(sequences) { record in
            try body(self.read(record, unseal: unsealing.contains(Array(record.typeBytes))))
        }
    }

    /// Like `scan`, decoding (and unsealing) only the events whose customer `wanted` accepts,
    /// asked before anything is decrypted: a reader that needs few customers' personal fields
    /// does not pay an unsealing for every event it passes.
    public func scan(_ query: EventQuery, customers wanted: (String) -> Bool, _ body: (CatalogEvent) throws -> Bool) throws {
        try ledger.scanRecords(query) { record in
            guard wanted(String(decoding: record.customerBytes, as: UTF8.self)) else { return true }
            return try body(self.read(record))
        }
    }

    /// Like `scan`, for folds: only events whose type is in `types` (all when nil) are decoded,
    /// and personal fields are left sealed (read models keep no personal data).
    public func scanForFold(_ query: EventQuery, types: Set<[UInt8]>?, _ body: (CatalogEvent) throws -> Bool) throws {
        try ledger.scanRecords(types.map { Self.skippingObservations(query, unless: $0) } ?? query) { record in
            if let types, !types.contains(Array(record.typeBytes)) { return true }
            return try body(self.read(record, unseal: false))
        }
    }
}

/// An event as readers see it: its place in the log, and its payload upcast and unsealed.
public struct CatalogEvent: Sendable {
    /// The stored event (envelope fields, sequence, hash).
    public let recorded: RecordedEvent
    /// The schema version of `payload` (the type's current one).
    public let schemaVersion: UInt16
    /// The version it was written in.
    public let storedSchemaVersion: UInt16
    /// The payload, in `schemaVersion`'s shape.
    public let payload: JSONValue
    /// Whether personal fields were restored, erased (null), or could not be opened here.
    public let personalData: PersonalDataSealer.Outcome

    /// The event type.
    public var type: String { recorded.type }

    /// The payload as its generated type.
    public func decode<P: EventPayload>(_ type: P.Type) throws(EventPayloadError) -> P {
        try P(json: payload, path: "$.payload")
    }

    /// The whole event as JSON (the read form of schemas/envelope.schema.json).
    public var json: JSONValue {
        let r = recorded
        var members: [(String, JSONValue)] = [
            ("sequence", .number(String(r.sequence))), ("streamVersion", .number(String(r.streamVersion))),
            ("type", .string(r.type)), ("schemaVersion", .number(String(schemaVersion))),
            ("customer", .string(r.customer)), ("store", .string(r.store)), ("actor", .string(r.actor)),
            ("channel", .string(r.channel)), ("occurredAt", .string(r.occurredAt.iso8601)), ("recordedAt", .string(r.recordedAt.iso8601)),
        ]
        if let s = r.source { members += [("source", .string(s.source)), ("externalId", .string(s.externalId))] }
        members.append(("payload", payload))
        members.append(("hash", .string(r.chainHash.description)))
        if personalData == .erased { members.append(("erased", .bool(true))) }
        return .object(members)
    }
}
