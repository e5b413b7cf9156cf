import LedgerJSON

/// Reads old payload versions as the current one. Old bytes in the log are never rewritten:
/// each upcaster turns version N's JSON into version N + 1's, and reads chain them.
public enum Upcasters {
    /// (type, from version) → the step to from + 1.
    static let steps: [String: [UInt16: @Sendable (JSONValue) -> JSONValue]] = [
        // PurchaseRecorded v2 gave every line a product category; lines recorded before have none.
        "PurchaseRecorded": [1: { payload in
            guard case .object(var members) = payload, let i = members.firstIndex(where: { $0.0 == "lines" }),
                  case .array(let lines) = members[i].1 else { return payload }
            members[i].1 = .array(lines.map { line in
                guard case .object(var m) = line, !m.contains(where: { $0.0 == "category" }) else { return line }
                m.append(("category", .string(Upcasters.uncategorized)))
                return .object(m)
            })
            return .object(members)
        }],
    ]

    /// The category given to purchase lines recorded before categories existed.
    public static let uncategorized = "uncategorized"

    /// `payload` of `type` at `version`, brought up to `target`.
    public static func upcast(_ payload: JSONValue, type: String, from version: UInt16, to target: UInt16) -> JSONValue {
        var value = payload
        var v = version
        while v < target, let step = steps[type]?[v] {
            value = step(value)
            v += 1
        }
        return value
    }
}
