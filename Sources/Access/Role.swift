/// Who a person is to Clientele: the five roles of a store's staff and head office. A role is a
/// bundle of capabilities (`Capability.allowedRoles`); a clerk is further bound to stores.
public enum Role: String, Sendable, CaseIterable, Hashable, CustomStringConvertible {
    /// Counter staff: record what happens in their store(s) and look up its customers.
    case clerk
    /// Store or area manager: everything a clerk does in every store, plus imports, reports and verification.
    case manager
    /// Head-office analyst: replays and reports on pseudonymous data only.
    case analyst
    /// Compliance staff: audit queries, subject-access exports, erasures, identified replays.
    case compliance
    /// IT: everything, including tokens, backups and restores.
    case admin

    public var description: String { rawValue }

    /// One line on what the role is for, for help text and `token list`.
    public var summary: String {
        switch self {
        case .clerk: return "records and reads the customers of its own store(s)"
        case .manager: return "every store; imports, reports, verification"
        case .analyst: return "replays and reports on pseudonymous data only"
        case .compliance: return "audit, subject-access exports, erasure, identified replay"
        case .admin: return "everything, including tokens, backup and restore"
        }
    }

    /// Parses a role name, case-insensitively.
    public init?(name: String) {
        self.init(rawValue: name.lowercased())
    }
}
