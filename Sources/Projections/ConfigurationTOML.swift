import LedgerJSON
import TOMLKit

/// A configuration file written in TOML, read as the JSON object it stands for (tables are
/// objects, arrays arrays), so that one schema and one reader check both forms and a bad value
/// is named by the same key path (`$.sla.targets.respondMinutes`) in either.
enum ConfigurationTOML {
    /// The document of `text`, or why it is not TOML (at which line and column).
    static func document(_ text: String, file: String) throws(ClienteleConfiguration.LoadError) -> JSONValue {
        let table: TOMLTable
        do { table = try TOMLTable(string: text) } catch let error as TOMLParseError {
            throw .init(file: file, reason: "not TOML at line \(error.source.begin.line), column \(error.source.begin.column): \(error.description)")
        } catch {
            throw .init(file: file, reason: "not TOML: \(error)")
        }
        return try value(table, at: "$", file: file)
    }

    private static func value(_ v: TOMLValueConvertible, at path: String, file: String) throws(ClienteleConfiguration.LoadError) -> JSONValue {
        switch v.type {
        case .table:
            guard let t = v.table else { return .object([]) }
            var members: [(String, JSONValue)] = []
            for key in t.keys {
                guard let member = t[key] else { continue }
                members.append((key, try value(member, at: path + "." + key, file: file)))
            }
            return .object(members)
        case .array:
            guard let a = v.array else { return .array([]) }
            var items: [JSONValue] = []
            for (i, item) in a.enumerated() { items.append(try value(item, at: "\(path)[\(i)]", file: file)) }
            return .array(items)
        case .string: return .string(v.string ?? "")
        case .int: return .number(String(v.int ?? 0))
        case .double:
            let d = v.double ?? 0
            guard d.isFinite else { throw .init(file: file, reason: "\(path): \(d) is not a number the configuration takes") }
            return .number(String(d))
        case .bool: return .bool(v.bool ?? false)
        default:
            // Dates and times: no setting takes one (opening hours are "HH:MM" strings).
            throw .init(file: file, reason: "\(path): a TOML \(v.type) where the configuration takes none (opening hours are strings, \"10:00\")")
        }
    }
}
