import LedgerJSON

/// The event catalog: every event type's schemas, compiled once from the text embedded at
/// build time (tools/generate-catalog copies schemas/ into the binary).
public final class SchemaCatalog: Sendable {
    /// Compiled payload schemas by type and version.
    private let schemas: [String: [UInt16: CompiledSchema]]
    /// The newest version of each type: what readers upcast to and writers default to.
    public let currentVersions: [String: UInt16]
    /// The channels an event may arrive through (the envelope's enum).
    public static let channels: Set<String> = ["counter", "phone", "wechat", "sms", "email", "web", "pos", "system"]

    /// The catalog built into this binary.
    public static let builtIn: SchemaCatalog = {
        do { return try SchemaCatalog(files: EmbeddedSchemas.events) } catch { fatalError("the embedded schemas do not compile: \(error)") }
    }()

    /// Compiles schema documents given as (file name, text).
    public init(files: [(file: String, text: String)]) throws(SchemaDefinitionError) {
        var schemas: [String: [UInt16: CompiledSchema]] = [:]
        var current: [String: UInt16] = [:]
        for (file, text) in files {
            let json: JSONValue
            do { json = try JSONParser.parse(text) } catch { throw SchemaDefinitionError(file: file, reason: error.description) }
            guard let type = json["x-event-type"]?.stringValue, let v = json["x-schema-version"]?.int64Value, v >= 1, v <= Int64(UInt16.max) else {
                throw SchemaDefinitionError(file: file, reason: "needs x-event-type and x-schema-version")
            }
            let version = UInt16(v)
            guard schemas[type]?[version] == nil else { throw SchemaDefinitionError(file: file, reason: "\(type) v\(version) is defined twice") }
            schemas[type, default: [:]][version] = try CompiledSchema(json: json, file: file)
            current[type] = max(current[type] ?? 0, version)
        }
        self.schemas = schemas
        self.currentVersions = current
    }

    /// The schema of the configuration file (schemas/configuration.schema.json), compiled.
    public static let configurationSchema: CompiledSchema = {
        do { return try CompiledSchema(json: try JSONParser.parse(EmbeddedSchemas.configuration), file: "configuration.schema.json") } catch {
            fatalError("the embedded configuration schema does not compile: \(error)")
        }
    }()

    /// Every event type, sorted.
    public var types: [String] { currentVersions.keys.sorted() }

    /// The payload schema of `type` at `version`, or nil when the catalog has none.
    public func schema(_ type: String, version: UInt16) -> CompiledSchema? { schemas[type]?[version] }

    /// Checks `payload` against its type's schema; the violation's path starts at `$.payload`.
    public func validate(type: String, version: UInt16, payload: JSONValue) -> SchemaViolation? {
        guard let versions = schemas[type] else {
            return SchemaViolation(path: "$.type", reason: "'\(type)' is not an event type of the catalog (see schemas/events/)")
        }
        guard let schema = versions[version] else {
            let known = versions.keys.sorted().map(String.init).joined(separator: ", ")
            return SchemaViolation(path: "$.schemaVersion", reason: "\(type) has no version \(version) (known: \(known))")
        }
        return schema.validate(payload, path: "$.payload")
    }
}
