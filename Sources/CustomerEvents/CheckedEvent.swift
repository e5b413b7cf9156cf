import Ledger
import LedgerJSON

/// An event checked against the catalog whose payload is not yet sealed and encoded: the middle
/// step of `CustomerLedger.prepare`, for callers that build events in code (the POS ingest) and
/// want to check each one as it is made — while its input is still at hand to report — and seal
/// many at once later (one key-store transaction per batch).
public struct CheckedEvent: Sendable {
    /// The envelope; its `payload` bytes are filled in by `CustomerLedger.seal`.
    public let event: NewEvent
    /// The payload, valid against its schema.
    public let payload: JSONValue
    let schema: CompiledSchema

    init(event: NewEvent, payload: JSONValue, schema: CompiledSchema) {
        self.event = event
        self.payload = payload
        self.schema = schema
    }
}

extension CustomerLedger {
    /// Checks an event built in code: the envelope's limits and channel, its type and schema
    /// version, and `payload` against that schema (`event.payload` is ignored).
    /// - Throws: `EventInputError.invalid` with the JSON path of the field at fault.
    public func check(_ event: NewEvent, payload: JSONValue) throws(EventInputError) -> CheckedEvent {
        if case .invalid(let field, let reason)? = event.validate() { throw .invalid(path: "$.\(field)", reason: reason) }
        guard SchemaCatalog.channels.contains(event.channel) else {
            throw .invalid(path: "$.channel", reason: "'\(event.channel)' is not one of: \(SchemaCatalog.channels.sorted().joined(separator: ", "))")
        }
        guard let schema = catalog.schema(event.type, version: event.schemaVersion) else {
            let violation = catalog.validate(type: event.type, version: event.schemaVersion, payload: payload)
            throw .invalid(path: violation?.path ?? "$.type", reason: violation?.reason ?? "unknown event type")
        }
        if let violation = schema.validate(payload, path: "$.payload") {
            throw .invalid(path: violation.path, reason: violation.reason)
        }
        return CheckedEvent(event: event, payload: payload, schema: schema)
    }

    /// Seals the personal fields of checked events (making data keys for new customers in one
    /// key-store transaction) and encodes their payloads: one result per input, in order. An
    /// event fails alone (`.sealing`: no master key, an erased customer).
    /// - Complexity: O(total payload size); one key-store transaction when any event holds personal data.
    public func seal(_ checked: [CheckedEvent]) -> [Result<NewEvent, EventInputError>] {
        seal(checked, sealing: true)
    }

    func seal(_ checked: [CheckedEvent], sealing: Bool) -> [Result<NewEvent, EventInputError>] {
        // Only payloads whose schema marks personal fields are walked.
        var personal: [Int: (stripped: JSONValue, fields: [(String, JSONValue)])] = [:]
        var needKeys = Set<String>()
        if sealing {
            for (i, c) in checked.enumerated() where c.schema.holdsPersonal {
                let (stripped, fields) = PersonalDataSealer.extract(c.payload, schema: c.schema)
                if !fields.isEmpty {
                    personal[i] = (stripped, fields)
                    needKeys.insert(c.event.customer)
                }
            }
        }
        var dataKeys: [String: DataKey] = [:]
        var keyFailure: [String: EventInputError] = [:]
        if !needKeys.isEmpty {
            do {
                dataKeys = try keys.keys(creatingFor: needKeys)
            } catch {
                // Find out which customers failed (an erased one must not fail the others).
                for customer in needKeys {
                    do { dataKeys[customer] = try keys.keys(creatingFor: [customer])[customer] } catch { keyFailure[customer] = .sealing(error.description) }
                }
            }
        }
        var out: [Result<NewEvent, EventInputError>] = []
        out.reserveCapacity(checked.count)
        var writer = JSONWriter(capacity: 4096)
        for (i, c) in checked.enumerated() {
            var body = c.payload
            if let (stripped, fields) = personal[i] {
                guard let key = dataKeys[c.event.customer] else {
                    out.append(.failure(keyFailure[c.event.customer] ?? .sealing("no data key for '\(c.event.customer)'")))
                    continue
                }
                do { body = try PersonalDataSealer.seal(stripped, personal: fields, key: key, customer: c.event.customer) } catch {
                    out.append(.failure(.sealing("sealing failed: \(error)")))
                    continue
                }
            }
            writer.bytes.removeAll(keepingCapacity: true)
            writer.write(body)
            var event = c.event
            // Exactly as large as the text: bulk loads hold tens of thousands of these until their
            // commit, and a writer's buffer is mostly room to grow.
            event.payload = writer.bytes.withUnsafeBufferPointer { text in
                [UInt8](unsafeUninitializedCapacity: text.count) { out, n in
                    if text.count > 0 { out.baseAddress!.initialize(from: text.baseAddress!, count: text.count) }
                    n = text.count
                }
            }
            out.append(.success(event))
        }
        return out
    }
}
