import LMDB

/// Why the ledger could not be opened or read; each case says what the user can do.
public enum LedgerError: Error, CustomStringConvertible, Sendable {
    /// No ledger at the path.
    case notFound(path: String)
    /// Something is at the path, but not a ledger this build can read.
    case notALedger(path: String, reason: String)
    /// LMDB refused (disk full, permissions, corruption…).
    case storage(LMDBError)
    /// The ledger was closed.
    case closed
    /// A file-system call failed.
    case io(path: String, reason: String)
    /// The ledger was written by an earlier version (format `found`, or an upgrade left unfinished):
    /// `clientele upgrade` brings it to this version's format.
    case upgradeNeeded(path: String, found: String)

    public var description: String {
        switch self {
        case .notFound(let path):
            return "no ledger at \(path); create one with `clientele init --db \(path)`"
        case .notALedger(let path, let reason):
            return "\(path) is not a Clientele ledger this version can read: \(reason)"
        case .storage(let error):
            return "storage error: \(error)"
        case .closed:
            return "the ledger is closed"
        case .io(let path, let reason):
            return "\(path): \(reason)"
        case .upgradeNeeded(let path, let found):
            let what = found == Ledger.upgradingTag ? "an upgrade of the ledger at \(path) was started and not finished"
                : "the ledger at \(path) is in format '\(found)', written by an earlier version; this version reads '\(Ledger.formatTag)'"
            let how = found == Ledger.format2Tag ? "it takes a moment and changes no event"
                : "it rebuilds the by_source index from the log, which it does not change"
            return "\(what). Run `clientele upgrade --db \(path)` once (\(how); with no other process using the ledger), then try again"
        }
    }
}

/// Why one event was not appended. Its neighbours in the same batch are not affected.
public enum AppendError: Error, CustomStringConvertible, Sendable, Hashable {
    /// A field breaks the ledger's limits (or, later, its schema).
    case invalid(field: String, reason: String)
    /// The customer's stream is not at the version the caller expected; nothing was written.
    case versionConflict(customer: String, expected: ExpectedVersion, actual: UInt32)
    /// The transaction holding the event failed to commit (the text says why); nothing was written.
    case storage(String)
    /// The ledger was closed before the event could be written.
    case closed

    public var description: String {
        switch self {
        case .invalid(let field, let reason):
            return "field '\(field)' \(reason)"
        case .versionConflict(let customer, let expected, let actual):
            let want: String
            switch expected {
            case .any: want = "any version"
            case .noStream: want = "no events yet"
            case .exactly(let v): want = "version \(v)"
            }
            return "version conflict on customer '\(customer)': expected \(want), but the stream is at version \(actual)"
        case .storage(let text):
            return "not written: \(text)"
        case .closed:
            return "not written: the ledger is closed"
        }
    }
}
