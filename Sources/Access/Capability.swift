/// What a command or an endpoint lets someone do; each names the roles allowed to do it, so a
/// refusal can say which role is needed.
public enum Capability: String, Sendable, CaseIterable, Hashable, CustomStringConvertible {
    /// Append events: visits, purchases, complaints and their steps, callbacks, care contacts.
    case recordEvents
    /// Load POS exports (`clientele ingest`).
    case ingestExports
    /// Read one customer's identified data (360 view, profile, search).
    case readCustomers
    /// Read reports: segments, churn, complaint queue, daily summary, satisfaction, staff KPIs, care agenda.
    case readReports
    /// Replay the log and rebuild read models with other parameters, pseudonymised.
    case replay
    /// Replay with customer ids and personal fields in clear.
    case replayIdentified
    /// Audit queries and the subject-access export.
    case audit
    /// Erase a customer (crypto-shredding).
    case erase
    /// Change a customer's consents.
    case manageConsent
    /// Check the log's chain and indexes.
    case verifyLedger
    /// Take a backup.
    case backup
    /// Restore a backup over a database.
    case restore
    /// Create, list and revoke access tokens.
    case manageTokens
    /// Everything else that changes the installation: init, rebuild, key generation, serving.
    case administer

    public var description: String { rawValue }

    /// The roles that hold this capability.
    public var allowedRoles: [Role] {
        switch self {
        case .recordEvents: return [.clerk, .manager, .admin]
        case .ingestExports: return [.manager, .admin]
        case .readCustomers: return [.clerk, .manager, .compliance, .admin]
        case .readReports: return [.clerk, .manager, .analyst, .compliance, .admin]
        case .replay: return [.analyst, .manager, .compliance, .admin]
        case .replayIdentified: return [.compliance, .admin]
        case .audit: return [.compliance, .admin]
        case .erase: return [.compliance, .admin]
        case .manageConsent: return [.clerk, .manager, .compliance, .admin]
        case .verifyLedger: return [.manager, .compliance, .admin]
        case .backup: return [.admin]
        case .restore: return [.admin]
        case .manageTokens: return [.admin]
        case .administer: return [.admin]
        }
    }

    /// What the capability lets one do, in words, for refusals.
    public var action: String {
        switch self {
        case .recordEvents: return "record events"
        case .ingestExports: return "import POS exports"
        case .readCustomers: return "read customers' personal data"
        case .readReports: return "read reports"
        case .replay: return "replay the log"
        case .replayIdentified: return "replay with identified data"
        case .audit: return "run audit queries"
        case .erase: return "erase a customer"
        case .manageConsent: return "change consents"
        case .verifyLedger: return "verify the ledger"
        case .backup: return "take backups"
        case .restore: return "restore backups"
        case .manageTokens: return "manage access tokens"
        case .administer: return "administer the installation"
        }
    }
}
