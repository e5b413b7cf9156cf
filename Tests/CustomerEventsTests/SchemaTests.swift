import Testing
import CustomerEvents
import LedgerJSON
import Foundation

/// The repository's schemas/ folder (tests read the files the contract lives in).
let schemasFolder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    .appendingPathComponent("schemas")

@Suite("Schemas")
struct SchemaTests {
    @Test("every schema compiles, and the embedded copies are the files in schemas/")
    func embedded() throws {
        let folder = schemasFolder.appendingPathComponent("events")
        let files = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasSuffix(".schema.json") }.sorted()
        let catalog = SchemaCatalog.builtIn
        #expect(files.count == 35)
        var versions = 0
        for t in catalog.types { versions += Int(catalog.currentVersions[t]!) }
        #expect(versions == files.count, "one schema per type and version")
        let onDisk = try files.map { (file: $0, text: try String(contentsOf: folder.appendingPathComponent($0), encoding: .utf8)) }
        let fromDisk = try SchemaCatalog(files: onDisk)
        #expect(fromDisk.currentVersions == catalog.currentVersions)
    }

    @Test("every example in schemas/examples validates and reads as its generated type")
    func examples() throws {
        let folder = schemasFolder.appendingPathComponent("examples")
        // Event examples are named <type>.v<N>.json; the folder also holds the configuration's.
        let files = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasSuffix(".json") && $0.contains(".v") }
        #expect(files.count == 35)
        let types = Dictionary(uniqueKeysWithValues: EventPayloadTypes.all.map { ("\($0.eventType)/\($0.schemaVersion)", $0) })
        for file in files {
            let doc = try JSONParser.parse(try String(contentsOf: folder.appendingPathComponent(file), encoding: .utf8))
            let type = doc["type"]!.stringValue!
            let version = UInt16(doc["schemaVersion"]!.int64Value!)
            #expect(SchemaCatalog.builtIn.validate(type: type, version: version, payload: doc["payload"]!) == nil, "\(file)")
            let payloadType = try #require(types["\(type)/\(version)"])
            let typed = try payloadType.init(json: doc["payload"]!, path: "$.payload")
            #expect(canonical(typed.json) == canonical(doc["payload"]!), "\(file): the typed payload writes back what it read")
        }
    }

    @Test("payloads that break their schema are refused with the field path", arguments: [
        ("ComplaintFiled", #"{"complaint":"CP-1","category":"rudeness","severity":"low"}"#, "$.payload.category"),
        ("ComplaintFiled", #"{"complaint":"CP-1","severity":"low"}"#, "$.payload.category"),
        ("ComplaintFiled", #"{"complaint":"CP-1","category":"price","severity":"low","mood":"angry"}"#, "$.payload.mood"),
        ("CallbackLogged", #"{"reached":true,"csat":6}"#, "$.payload.csat"),
        ("CallbackLogged", #"{"reached":"yes"}"#, "$.payload.reached"),
        ("CallbackLogged", #"{"reached":true,"nps":-1}"#, "$.payload.nps"),
        ("PurchaseRecorded", #"{"receipt":"R1","lines":[],"total":{"minor":1,"currency":"CNY"}}"#, "$.payload.lines"),
        ("PurchaseRecorded", #"{"receipt":"R1","lines":[{"sku":"A","category":"x","quantity":1,"unitPrice":{"minor":1.5,"currency":"CNY"}}],"total":{"minor":1,"currency":"CNY"}}"#, "$.payload.lines[0].unitPrice.minor"),
        ("PurchaseRecorded", #"{"receipt":"R1","lines":[{"sku":"A","category":"x","quantity":1,"unitPrice":{"minor":1,"currency":"yuan"}}],"total":{"minor":1,"currency":"CNY"}}"#, "$.payload.lines[0].unitPrice.currency"),
        ("PurchaseRecorded", #"{"receipt":"R1","lines":[{"sku":"A","quantity":0,"category":"x","unitPrice":{"minor":1,"currency":"CNY"}}],"total":{"minor":1,"currency":"CNY"}}"#, "$.payload.lines[0].quantity"),
        ("CustomerRegistered", #"{"birthday":"1991-02-30"}"#, "$.payload.birthday"),
        ("CustomerRegistered", #"{"name":""}"#, "$.payload.name"),
        ("ConsentGranted", #"{"purpose":"marketing","channel":"fax","policyVersion":"1"}"#, "$.payload.channel"),
    ])
    func violations(type: String, payload: String, path: String) throws {
        let doc = try JSONParser.parse(envelope(type, payload))
        do {
            _ = try SchemaCatalog.builtIn.validate(type: type, version: SchemaCatalog.builtIn.currentVersions[type]!, payload: doc["payload"]!).map { throw $0 }
            Issue.record("\(type) \(payload) was accepted")
        } catch let v as SchemaViolation {
            #expect(v.path == path, "\(v)")
        }
    }

    @Test("an appended event that breaks its schema writes nothing and names the field")
    func refusedAppend() throws {
        let t = try TestLedger("refused"); defer { t.remove() }
        let results = t.ledger.appendAndWait([
            try JSONParser.parse(envelope("VisitRecorded", #"{"kind":"walk-in"}"#)),
            try JSONParser.parse(envelope("VisitRecorded", #"{"kind":"drive-by"}"#)),
            try JSONParser.parse(envelope("TeleportRecorded", #"{}"#)),
            try JSONParser.parse(envelope("VisitRecorded", channel: "fax", #"{"kind":"walk-in"}"#)),
        ])
        #expect((try? results[0].get()) != nil)
        #expect(results[1] == .failure(.invalid(path: "$.payload.kind", reason: "'drive-by' is not one of: walk-in, served-at-desk, event-attended")))
        if case .failure(let e) = results[2] { #expect(e.path == "$.type") } else { Issue.record("unknown type accepted") }
        if case .failure(let e) = results[3] { #expect(e.path == "$.channel") } else { Issue.record("unknown channel accepted") }
        #expect(try t.ledger.ledger.head().sequence == 1)
    }

    @Test("the validator refuses schema keywords it does not implement")
    func unsupportedKeyword() throws {
        let schema = try JSONParser.parse(#"{"x-event-type":"X","x-schema-version":1,"type":"object","properties":{"a":{"type":"string","contentEncoding":"base64"}}}"#)
        #expect(throws: SchemaDefinitionError.self) { _ = try CompiledSchema(json: schema, file: "x") }
    }
}

/// JSON objects are unordered: the same value with members sorted, for comparisons.
func canonical(_ v: JSONValue) -> JSONValue {
    switch v {
    case .object(let m): return .object(m.map { ($0.0, canonical($0.1)) }.sorted { $0.0 < $1.0 })
    case .array(let a): return .array(a.map(canonical))
    default: return v
    }
}

@Suite("Schema keywords")
struct SchemaKeywordTests {
    @Test("lengths count characters, not bytes")
    func lengths() throws {
        let schema = try CompiledSchema(json: try JSONParser.parse(#"{"type":"string","minLength":2,"maxLength":3}"#), file: "t")
        #expect(schema.validate(.string("王")) != nil)
        #expect(schema.validate(.string("王芳")) == nil)
        #expect(schema.validate(.string("王芳测")) == nil)
        #expect(schema.validate(.string("王芳测试")) != nil)
        #expect(schema.validate(.string("abcd")) != nil)
    }

    @Test("patterns of the supported form match exactly", arguments: [("CNY", true), ("cny", false), ("CN", false), ("CNYY", false), ("", false)])
    func pattern(text: String, ok: Bool) throws {
        let schema = try CompiledSchema(json: try JSONParser.parse(#"{"type":"string","pattern":"^[A-Z]{3}$"}"#), file: "t")
        #expect((schema.validate(.string(text)) == nil) == ok)
    }
}
