import Ledger
import LedgerJSON

/// Why a document breaks its schema: the JSON path of the first offending value and the reason.
public struct SchemaViolation: Error, CustomStringConvertible, Sendable, Equatable {
    /// e.g. `$.payload.lines[0].unitPrice.currency`.
    public let path: String
    public let reason: String
    public var description: String { "\(path): \(reason)" }
}

/// Why a schema file itself could not be used (a bug in schemas/, caught by the tests).
public struct SchemaDefinitionError: Error, CustomStringConvertible, Sendable {
    public let file: String
    public let reason: String
    public var description: String { "schema \(file): \(reason)" }
}

/// A JSON Schema (draft 2020-12) compiled into a tree that validates a `JSONValue` in one walk.
///
/// It implements the keywords Clientele's schemas use — type, properties, required,
/// additionalProperties (false, or a schema for a map's values), enum, const, minimum, maximum, exclusiveMinimum, minLength,
/// maxLength, pattern (a character class with a count), format (date-time, date), items,
/// minItems, maxItems, local `$ref` — and refuses any other validation keyword when compiling,
/// so a schema can never mean more than we check. `x-pii` marks personal data.
public final class CompiledSchema: Sendable {
    struct Types: OptionSet, Sendable {
        let rawValue: UInt8
        static let null = Types(rawValue: 1), boolean = Types(rawValue: 2), integer = Types(rawValue: 4)
        static let number = Types(rawValue: 8), string = Types(rawValue: 16), array = Types(rawValue: 32), object = Types(rawValue: 64)
        static let any = Types(rawValue: 127)
    }

    let types: Types
    let properties: [String: CompiledSchema]
    let propertyOrder: [String]
    /// The properties in schema order, for a lookup that usually finds the next member at once.
    let propertyList: [(String, CompiledSchema)]
    let required: [String]
    let closed: Bool
    /// The schema of members not named in `properties` (additionalProperties as a schema: a map's values).
    let additional: CompiledSchema?
    let enumValues: [JSONValue]?
    let minimum: Double?, maximum: Double?, exclusiveMinimum: Double?
    let minLength: Int?, maxLength: Int?
    let pattern: CharacterPattern?
    let format: String?
    let items: CompiledSchema?
    let minItems: Int?, maxItems: Int?
    /// The value is personal data: sealed in the ledger, null once the customer is erased.
    public let isPersonal: Bool
    /// Somewhere below holds personal data (so sealing must walk here).
    let holdsPersonal: Bool

    static let known: Set<String> = ["$schema", "$id", "title", "description", "type", "properties", "required",
                                     "additionalProperties", "enum", "const", "minimum", "maximum", "exclusiveMinimum",
                                     "minLength", "maxLength", "pattern", "format", "items", "minItems", "maxItems", "$ref",
                                     "$defs", "x-pii", "x-event-type", "x-schema-version", "readOnly", "examples", "default"]

    /// Compiles `json` (a schema document); `$ref`s resolve against the document's `$defs`.
    public convenience init(json: JSONValue, file: String) throws(SchemaDefinitionError) {
        try self.init(json, root: json, file: file, depth: 0)
    }

    init(_ json: JSONValue, root: JSONValue, file: String, depth: Int) throws(SchemaDefinitionError) {
        func fail(_ reason: String) -> SchemaDefinitionError { SchemaDefinitionError(file: file, reason: reason) }
        guard depth < 32 else { throw fail("$ref nesting too deep") }
        var node = json
        if let ref = json["$ref"]?.stringValue {
            let prefix = "#/$defs/"
            guard ref.hasPrefix(prefix), let target = root["$defs"]?[String(ref.dropFirst(prefix.count))] else {
                throw fail("unsupported or dangling $ref '\(ref)' (only #/$defs/NAME)")
            }
            node = target
        }
        guard case .object(let members) = node else { throw fail("a schema must be an object") }
        for (key, _) in members where !CompiledSchema.known.contains(key) {
            throw fail("keyword '\(key)' is not supported by the validator")
        }
        var types = Types.any
        if let t = node["type"] {
            types = []
            let names: [String]
            switch t {
            case .string(let s): names = [s]
            case .array(let a): names = a.compactMap(\.stringValue)
            default: throw fail("'type' must be a string or an array")
            }
            for name in names {
                switch name {
                case "null": types.insert(.null)
                case "boolean": types.insert(.boolean)
                case "integer": types.insert(.integer)
                case "number": types.insert([.number, .integer])
                case "string": types.insert(.string)
                case "array": types.insert(.array)
                case "object": types.insert(.object)
                default: throw fail("unknown type '\(name)'")
                }
            }
        }
        self.types = types
        var properties: [String: CompiledSchema] = [:]
        var order: [String] = []
        if case .object(let props)? = node["properties"] {
            for (name, sub) in props {
                properties[name] = try CompiledSchema(sub, root: root, file: file, depth: depth + 1)
                order.append(name)
            }
        }
        self.properties = properties
        self.propertyOrder = order
        self.propertyList = order.map { ($0, properties[$0]!) }
        self.required = (node["required"].flatMap { if case .array(let a) = $0 { return a.compactMap(\.stringValue) } else { return nil } }) ?? []
        if let extra = node["additionalProperties"] {
            if extra == .bool(false) {
                closed = true
                additional = nil
            } else if case .object = extra {
                closed = false
                additional = try CompiledSchema(extra, root: root, file: file, depth: depth + 1)
            } else {
                throw fail("additionalProperties must be false or a schema")
            }
        } else {
            closed = false
            additional = nil
        }
        if let c = node["const"] { enumValues = [c] } else if case .array(let e)? = node["enum"] { enumValues = e } else { enumValues = nil }
        func number(_ key: String) -> Double? { if case .number(let n)? = node[key] { return Double(n) } else { return nil } }
        func int(_ key: String) -> Int? { if case .number(let n)? = node[key] { return Int(n) } else { return nil } }
        minimum = number("minimum"); maximum = number("maximum"); exclusiveMinimum = number("exclusiveMinimum")
        minLength = int("minLength"); maxLength = int("maxLength"); minItems = int("minItems"); maxItems = int("maxItems")
        if let p = node["pattern"]?.stringValue {
            guard let compiled = CharacterPattern(p) else { throw fail("pattern '\(p)' is beyond the supported form ^[class]{n}$ / {n,m} / + / *") }
            pattern = compiled
        } else {
            pattern = nil
        }
        format = node["format"]?.stringValue
        if let f = format, f != "date-time", f != "date" { throw fail("format '\(f)' is not supported") }
        items = try node["items"].map { (sub) throws(SchemaDefinitionError) in try CompiledSchema(sub, root: root, file: file, depth: depth + 1) }
        isPersonal = node["x-pii"] == .bool(true)
        holdsPersonal = isPersonal || properties.values.contains { $0.holdsPersonal } || (items?.holdsPersonal ?? false)
    }

    /// The first violation in `value`, or nil when it conforms. `path` names `value` in messages.
    public func validate(_ value: JSONValue, path: String = "$") -> SchemaViolation? {
        violation(in: value).map { SchemaViolation(path: path + $0.path, reason: $0.reason) }
    }

    /// The first violation in `value` with its path relative to `value` (`""`, `.lines[0].sku`):
    /// paths are only spelled out on the way back from a violation, never for values that conform.
    private func violation(in value: JSONValue) -> SchemaViolation? {
        func fail(_ reason: String) -> SchemaViolation { SchemaViolation(path: "", reason: reason) }
        let kind: Types
        switch value {
        case .null: kind = .null
        case .bool: kind = .boolean
        case .number(let n): kind = n.contains(where: { $0 == "." || $0 == "e" || $0 == "E" }) ? .number : .integer
        case .string: kind = .string
        case .array: kind = .array
        case .object: kind = .object
        }
        if !types.contains(kind) {
            // 1.0 is an integer to JSON Schema.
            if kind == .number, types.contains(.integer), case .number(let n) = value, let d = Double(n), d == d.rounded(), abs(d) < 9e15 {
            } else {
                return fail("expected \(typeNames), found \(value.kindName)")
            }
        }
        if let enumValues, !enumValues.contains(value) {
            let allowed = enumValues.map { v -> String in if case .string(let s) = v { return s } else { var w = JSONWriter(); w.write(v); return w.text } }
            return fail("'\(shortText(value))' is not one of: \(allowed.joined(separator: ", "))")
        }
        switch value {
        case .number(let n):
            guard let d = Double(n) else { return fail("is not a number") }
            if let minimum, d < minimum { return fail("must be at least \(format(minimum))") }
            if let maximum, d > maximum { return fail("must be at most \(format(maximum))") }
            if let exclusiveMinimum, d <= exclusiveMinimum { return fail("must be more than \(format(exclusiveMinimum))") }
        case .string(let s):
            // UTF-8 bytes bound the character count (1 to 4 bytes each): count only when that is not enough.
            let bytes = s.utf8.count
            let tooLong = maxLength.map { bytes > $0 } ?? false
            let maybeShort = minLength.map { $0 <= 1 ? bytes < $0 : bytes < 4 * $0 } ?? false
            if tooLong || maybeShort {
                let n = s.unicodeScalars.count
                if let minLength, n < minLength { return fail(minLength == 1 ? "must not be empty" : "must be at least \(minLength) characters") }
                if let maxLength, n > maxLength { return fail("must be at most \(maxLength) characters (is \(n))") }
            }
            if let pattern, !pattern.matches(s) { return fail("'\(shortText(value))' does not match \(pattern.source)") }
            if let format {
                if format == "date-time", Timestamp(iso8601: s) == nil { return fail("'\(shortText(value))' is not an RFC 3339 date-time with a zone") }
                if format == "date", !CompiledSchema.isDate(s) { return fail("'\(shortText(value))' is not a date (YYYY-MM-DD)") }
            }
        case .array(let a):
            if let minItems, a.count < minItems { return fail(minItems == 1 ? "must not be empty" : "must hold at least \(minItems) items") }
            if let maxItems, a.count > maxItems { return fail("must hold at most \(maxItems) items") }
            if let items {
                for (i, item) in a.enumerated() {
                    if let v = items.violation(in: item) { return SchemaViolation(path: "[\(i)]" + v.path, reason: v.reason) }
                }
            }
        case .object(let members):
            for name in required where !members.contains(where: { $0.0 == name }) {
                return SchemaViolation(path: ".\(name)", reason: "is required")
            }
            var cursor = 0
            for (index, (name, member)) in members.enumerated() {
                for earlier in 0..<index where members[earlier].0 == name {
                    return SchemaViolation(path: ".\(name)", reason: "appears twice")
                }
                if let sub = property(name, cursor: &cursor) {
                    if let v = sub.violation(in: member) { return SchemaViolation(path: ".\(name)" + v.path, reason: v.reason) }
                } else if let additional {
                    if let v = additional.violation(in: member) { return SchemaViolation(path: ".\(name)" + v.path, reason: v.reason) }
                } else if closed {
                    let allowed = propertyOrder.joined(separator: ", ")
                    return SchemaViolation(path: ".\(name)", reason: "is not a known member (known: \(allowed))")
                }
            }
        default:
            break
        }
        return nil
    }

    /// The schema of member `name`: members usually come in schema order, so start after the last one found.
    @inline(__always)
    private func property(_ name: String, cursor: inout Int) -> CompiledSchema? {
        let n = propertyList.count
        for k in 0..<n {
            let i = (cursor + k) % n
            if propertyList[i].0 == name { cursor = i + 1; return propertyList[i].1 }
        }
        return nil
    }

    private var typeNames: String {
        var names: [String] = []
        if types.contains(.object) { names.append("an object") }
        if types.contains(.array) { names.append("an array") }
        if types.contains(.string) { names.append("a string") }
        if types.contains(.number) { names.append("a number") } else if types.contains(.integer) { names.append("a whole number") }
        if types.contains(.boolean) { names.append("true or false") }
        if types.contains(.null) { names.append("null") }
        return names.joined(separator: " or ")
    }

    private func shortText(_ v: JSONValue) -> String {
        let text: String
        if case .string(let s) = v { text = s } else { var w = JSONWriter(); w.write(v); text = w.text }
        return text.count > 40 ? String(text.prefix(40)) + "…" : text
    }

    private func format(_ d: Double) -> String { d == d.rounded() && abs(d) < 1e15 ? String(Int64(d)) : String(d) }

    static func isDate(_ s: String) -> Bool {
        guard s.utf8.count == 10 else { return false }
        return Timestamp(iso8601: s + "T00:00:00Z") != nil
    }
}

/// The one regular-expression form our schemas use: `^[CLASS]{n}$`, `{n,m}`, `+` or `*`,
/// where CLASS is ranges and single characters (`A-Z`, `0-9a-f`). Matching is a loop, no engine.
struct CharacterPattern: Sendable {
    let source: String
    let ranges: [ClosedRange<Unicode.Scalar>]
    let minCount: Int
    let maxCount: Int

    init?(_ source: String) {
        self.source = source
        let s = Array(source.unicodeScalars)
        guard s.count >= 5, s.first == "^", s.last == "$", s[1] == "[", let close = s.firstIndex(of: "]") else { return nil }
        var ranges: [ClosedRange<Unicode.Scalar>] = []
        var i = 2
        while i < close {
            if i + 2 < close, s[i + 1] == "-" { ranges.append(s[i]...s[i + 2]); i += 3 } else { ranges.append(s[i]...s[i]); i += 1 }
        }
        let quantifier = String(String.UnicodeScalarView(s[(close + 1)..<(s.count - 1)]))
        switch quantifier {
        case "+": minCount = 1; maxCount = .max
        case "*": minCount = 0; maxCount = .max
        default:
            guard quantifier.hasPrefix("{"), quantifier.hasSuffix("}") else { return nil }
            let inner = quantifier.dropFirst().dropLast().split(separator: ",", omittingEmptySubsequences: false)
            guard let lo = Int(inner[0]) else { return nil }
            minCount = lo
            if inner.count == 1 { maxCount = lo } else if inner.count == 2 { maxCount = inner[1].isEmpty ? .max : (Int(inner[1]) ?? -1) } else { return nil }
            guard maxCount >= minCount else { return nil }
        }
        self.ranges = ranges
    }

    func matches(_ text: String) -> Bool {
        var n = 0
        for c in text.unicodeScalars {
            guard ranges.contains(where: { $0.contains(c) }) else { return false }
            n += 1
            if n > maxCount { return false }
        }
        return n >= minCount
    }
}
