import Crypto
#if canImport(Glibc)
import Glibc
#endif
import LedgerJSON

/// Moves the personal fields of a payload (those its schema marks `x-pii`) into one AES-GCM box
/// under the customer's data key, and back.
///
/// Stored form: the payload without its personal fields, plus
/// `"_sealed": {"v": 1, "paths": ["/name", "/phone"], "box": "<base64 nonce ‖ ciphertext ‖ tag>"}`.
/// The paths are not personal, so a reader without the key (or after an erasure) can still show
/// which fields were there — as null.
public enum PersonalDataSealer {
    /// The member name that carries the box.
    public static let member = "_sealed"

    /// The payload's personal values by JSON Pointer, and the payload without them.
    public static func extract(_ payload: JSONValue, schema: CompiledSchema) -> (JSONValue, [(String, JSONValue)]) {
        var personal: [(String, JSONValue)] = []
        let stripped = walk(payload, schema, "", &personal) ?? .object([])
        return (stripped, personal)
    }

    private static func walk(_ value: JSONValue, _ schema: CompiledSchema, _ pointer: String, _ personal: inout [(String, JSONValue)]) -> JSONValue? {
        if schema.isPersonal {
            if value != .null { personal.append((pointer, value)) }
            return nil
        }
        guard schema.holdsPersonal else { return value }
        switch value {
        case .object(let members):
            var kept: [(String, JSONValue)] = []
            for (name, member) in members {
                if let sub = schema.properties[name], sub.holdsPersonal {
                    if let v = walk(member, sub, pointer + "/" + escape(name), &personal) { kept.append((name, v)) }
                } else {
                    kept.append((name, member))
                }
            }
            return .object(kept)
        case .array(let items):
            guard let itemSchema = schema.items else { return value }
            return .array(items.enumerated().map { i, item in walk(item, itemSchema, pointer + "/\(i)", &personal) ?? .null })
        default:
            return value
        }
    }

    /// `payload` (already stripped) with the box holding `personal` added.
    public static func seal(_ stripped: JSONValue, personal: [(String, JSONValue)], key: DataKey, customer: String) throws -> JSONValue {
        guard !personal.isEmpty, case .object(var members) = stripped else { return stripped }
        var plain = JSONWriter()
        plain.write(.array(personal.map { .array([.string($0.0), $0.1]) }))
        let box = try AES.GCM.seal(plain.bytes, using: key.symmetric, nonce: AES.GCM.Nonce(data: SecureRandom.bytes(12)), authenticating: Array(customer.utf8))
        guard let combined = box.combined else { return stripped }
        members.append((member, .object([
            ("v", .number("1")),
            ("paths", .array(personal.map { .string($0.0) })),
            ("box", .string(Base64.encode(combined))),
        ])))
        return .object(members)
    }

    /// What a reader gets back.
    public enum Outcome: String, Sendable, Equatable {
        /// The payload had no personal data.
        case none
        /// Personal fields restored.
        case unsealed
        /// The key was destroyed: personal fields are null.
        case erased
        /// No key to open the box with here (no master key): personal fields are null.
        case locked
    }

    /// Where the box begins in a payload as stored (compact JSON, the box its last member): the
    /// index of the comma before `"_sealed"`, or of its quote when it is the only member; nil
    /// when there is no box. A quote right after a comma or a brace is never inside a string
    /// (there a quote is escaped), so the match is structural. Reads only the payload's tail.
    public static func storedBoxStart(_ p: UnsafeRawBufferPointer) -> Int? {
        let name: StaticString = "\"_sealed\":"
        let n = name.utf8CodeUnitCount
        // The box ends its payload with `"}}`: its base64 text, its object, the payload.
        guard p.count > n + 3, p[p.count - 1] == 0x7D, p[p.count - 2] == 0x7D, p[p.count - 3] == 0x22 else { return nil }
        var i = p.count - n - 1
        while i >= 1 {
            if p[i] == 0x22 && p[i + 1] == 0x5F && memcmp(name.utf8Start, p.baseAddress! + i, n) == 0 {
                if p[i - 1] == 0x2C { return i - 1 }
                if p[i - 1] == 0x7B { return i }
            }
            i -= 1
        }
        return nil
    }

    /// The payload with its personal fields restored, or set to null when `key` is nil.
    public static func unseal(_ payload: JSONValue, key: DataKey?, erased: Bool, customer: String) -> (JSONValue, Outcome) {
        guard case .object(var members) = payload, let index = members.firstIndex(where: { $0.0 == member }) else { return (payload, .none) }
        let sealed = members.remove(at: index).1
        var paths: [String] = []
        if case .array(let a)? = sealed["paths"] { paths = a.compactMap(\.stringValue) }
        var restored = JSONValue.object(members)
        if let key, let text = sealed["box"]?.stringValue, let bytes = Base64.decode(text),
           let box = try? AES.GCM.SealedBox(combined: bytes),
           let plain = try? AES.GCM.open(box, using: key.symmetric, authenticating: Array(customer.utf8)),
           case .array(let pairs)? = try? Array(plain).withUnsafeBufferPointer({ try JSONParser.parse($0) }) {
            for pair in pairs {
                if case .array(let kv) = pair, kv.count == 2, let pointer = kv[0].stringValue { set(&restored, pointer, kv[1]) }
            }
            return (restored, .unsealed)
        }
        for pointer in paths { set(&restored, pointer, .null) }
        return (restored, erased ? .erased : .locked)
    }

    private static func escape(_ name: String) -> String {
        name.contains("~") || name.contains("/") ? name.split(separator: "~", omittingEmptySubsequences: false).joined(separator: "~0").split(separator: "/", omittingEmptySubsequences: false).joined(separator: "~1") : name
    }

    private static func unescape(_ token: Substring) -> String {
        guard token.utf8.contains(0x7E) else { return String(token) } // no "~": nothing escaped
        return String(token).split(separator: "~1", omittingEmptySubsequences: false).joined(separator: "/").split(separator: "~0", omittingEmptySubsequences: false).joined(separator: "~")
    }

    /// Sets the value at a JSON Pointer, adding an object member when it is missing.
    static func set(_ root: inout JSONValue, _ pointer: String, _ value: JSONValue) {
        let tokens = pointer.split(separator: "/", omittingEmptySubsequences: false).dropFirst()
        guard !tokens.isEmpty else { root = value; return }
        func go(_ node: inout JSONValue, _ rest: ArraySlice<Substring>) {
            let token = rest.first!
            let tail = rest.dropFirst()
            switch node {
            case .object(var members):
                let name = unescape(token)
                if let i = members.firstIndex(where: { $0.0 == name }) {
                    if tail.isEmpty { members[i].1 = value } else { go(&members[i].1, tail) }
                } else if tail.isEmpty {
                    members.append((name, value))
                } else {
                    return
                }
                node = .object(members)
            case .array(var items):
                guard let i = Int(token), i >= 0, i < items.count else { return }
                if tail.isEmpty { items[i] = value } else { go(&items[i], tail) }
                node = .array(items)
            default:
                return
            }
        }
        go(&root, ArraySlice(tokens))
    }
}
