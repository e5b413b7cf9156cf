import LMDB
import Ledger

/// Why a backup or a restore could not be done, naming the folder or file concerned.
public enum BackupError: Error, CustomStringConvertible, Sendable {
    /// There is no ledger to back up at this path.
    case noLedger(path: String)
    /// The backup's destination already holds files.
    case destinationNotEmpty(path: String)
    /// The folder is not a backup this build can restore.
    case notABackup(path: String, reason: String)
    /// A ledger exists where the restore would go, and `--force` was not given.
    case destinationExists(path: String)
    /// Another process has the ledger (or one of its companion environments) open.
    case inUse(path: String, pid: Int32)
    /// The restored copy does not verify; nothing was replaced.
    case unsound(path: String, firstBadSequence: UInt64?, problems: [String])
    /// The restored copy's event at the backup's head does not carry the hash the manifest recorded.
    case headMismatch(sequence: UInt64, expected: String, found: String)
    /// A file operation failed.
    case io(path: String, reason: String)
    /// LMDB or the ledger failed.
    case storage(String)

    public var description: String {
        switch self {
        case .noLedger(let path):
            return "no ledger at \(path) (no data.mdb there)"
        case .destinationNotEmpty(let path):
            return "the backup folder \(path) is not empty; give a new or empty folder"
        case .notABackup(let path, let reason):
            return "\(path) is not a Clientele backup: \(reason)"
        case .destinationExists(let path):
            return "a ledger already exists at \(path); add --force to replace it (it is moved aside, not deleted)"
        case .inUse(let path, let pid):
            return "the ledger at \(path) is open in process \(pid); stop it (the service, an ingest, a reader) before restoring over it"
        case .unsound(let path, let bad, let problems):
            return "the restored copy at \(path) does not verify (first bad event: \(bad.map(String.init) ?? "unknown")): "
                + problems.prefix(3).joined(separator: "; ") + "; nothing was replaced"
        case .headMismatch(let sequence, let expected, let found):
            return "event \(sequence) of the restored copy has hash \(found), the backup's manifest says \(expected); nothing was replaced"
        case .io(let path, let reason):
            return "\(path): \(reason)"
        case .storage(let text):
            return text
        }
    }
}
