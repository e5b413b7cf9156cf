/// Why a receipt read cleanly from an export cannot become ledger events.
public enum ReceiptMappingError: Error, Sendable, Hashable, CustomStringConvertible {
    /// This receipt cannot be recorded as the catalog defines purchases and returns; its rows are
    /// rejected (`field` names the receipt field at fault: `quantity`, `sku`, `customer`…).
    case unrecordable(field: String, reason: String)
    /// The receipt has no store and no default store was given: nothing can be recorded until one is.
    case needsStore
    /// The customer is known only by personal contact details, which need the master key (to seal
    /// them and to derive the customer's pseudonymous id): nothing can be recorded until it is given.
    case needsMasterKey

    public var description: String {
        switch self {
        case .unrecordable(let field, let reason): return "\(field): \(reason)"
        case .needsStore: return "the export does not name the store: give --store"
        case .needsMasterKey: return "customers here are known by email, phone or name, which are sealed with the master key: give --master-key-file or set CLIENTELE_MASTER_KEY_FILE"
        }
    }
}
