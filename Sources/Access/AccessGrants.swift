import LedgerJSON

/// The roles of operating-system users, from the `access.users` section of the configuration:
/// `{"access": {"users": {"mei": {"role": "clerk", "stores": ["S1"]}, "li": {"role": "compliance"}}}}`.
public struct AccessGrants: Sendable, Equatable {
    /// One user's grant.
    public struct Grant: Sendable, Equatable {
        public var role: Role
        public var stores: [String]
        public init(role: Role, stores: [String] = []) {
            self.role = role
            self.stores = stores
        }
    }

    /// Grants by operating-system user name (without the `os:` prefix).
    public var users: [String: Grant] = [:]

    public init(users: [String: Grant] = [:]) { self.users = users }

    /// Reads the `access` section; a bad value is named by its path (`$.access.users.mei.role`).
    public static func parse(_ json: JSONValue?) throws(AccessGrantsError) -> AccessGrants {
        guard let json else { return AccessGrants() }
        guard case .object(let top) = json else { throw AccessGrantsError(path: "$.access", reason: "must be an object") }
        var grants = AccessGrants()
        for (key, value) in top {
            guard key == "users" else { throw AccessGrantsError(path: "$.access.\(key)", reason: "unknown key (only \"users\" is known)") }
            guard case .object(let users) = value else { throw AccessGrantsError(path: "$.access.users", reason: "must be an object of user names") }
            for (user, g) in users {
                let at = "$.access.users.\(user)"
                guard case .object = g else { throw AccessGrantsError(path: at, reason: "must be an object with a role") }
                guard let name = g["role"]?.stringValue else { throw AccessGrantsError(path: at + ".role", reason: "is required") }
                guard let role = Role(name: name) else {
                    throw AccessGrantsError(path: at + ".role", reason: "'\(name)' is not a role (\(Role.allCases.map(\.rawValue).joined(separator: ", ")))")
                }
                var stores: [String] = []
                if let s = g["stores"] {
                    guard case .array(let list) = s, list.allSatisfy({ $0.stringValue != nil }) else {
                        throw AccessGrantsError(path: at + ".stores", reason: "must be a list of store ids")
                    }
                    stores = list.compactMap(\.stringValue)
                }
                grants.users[user] = Grant(role: role, stores: stores)
            }
        }
        return grants
    }
}

/// A bad value in the `access` section of the configuration, named by its JSON path.
public struct AccessGrantsError: Error, Sendable, CustomStringConvertible {
    public let path: String
    public let reason: String
    public var description: String { "\(path): \(reason)" }
}
