import CustomerEvents
import Ledger
import POSImport

/// Why an ingest stopped before the end of its files. What was committed before stays committed;
/// running the same command again (after fixing the cause) adds only what is missing.
public enum IngestError: Error, Sendable, CustomStringConvertible {
    /// The export does not name the store of a receipt and no default store was given.
    case storeRequired(file: String, line: Int)
    /// Customers are known only by contact details, which need the master key.
    case masterKeyRequired(file: String, line: Int)
    /// The ledger refused a batch (disk full, storage failure); nothing of that batch was written.
    case ledger(String)
    /// The rejects file cannot be written.
    case rejectsFile(path: String, reason: String)

    public var description: String {
        switch self {
        case .storeRequired(let file, let line):
            return "\(file):\(line): the export does not name the store of this receipt: give --store ID"
        case .masterKeyRequired(let file, let line):
            return "\(file):\(line): \(ReceiptMappingError.needsMasterKey.description)"
        case .ledger(let text):
            return "the ledger refused a batch (\(text)); what was committed before stays; run the same command again once fixed"
        case .rejectsFile(let path, let reason):
            return "cannot write the rejects file \(path): \(reason)"
        }
    }
}
