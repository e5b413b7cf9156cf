import Ledger
import LedgerJSON

/// One event a receipt becomes, before the catalog has checked and sealed it.
public struct PlannedEvent: Sendable {
    /// What the event does for the receipt.
    public enum Role: Sendable, Hashable {
        /// `CustomerRegistered`: the receipt's customer seen for the first time.
        case registration
        /// `PurchaseRecorded`: the sale itself.
        case purchase
        /// `ReturnRecorded`: a refund, return or cancellation.
        case `return`
    }

    /// What the event does for the receipt.
    public var role: Role
    /// The envelope (its payload bytes are empty: the payload is `payload`, encoded when sealed).
    public var event: NewEvent
    /// The payload, as the event type's schema describes it.
    public var payload: JSONValue
}

/// The names a receipt's events go under: the receipt id, store and customer resolved by the caller.
public struct ReceiptContext: Sendable, Hashable {
    /// The receipt id: the export's, or a derived one (`ReceiptFingerprint`).
    public var receiptId: String
    /// The store (from the export, or the default store).
    public var store: String
    /// The ledger's customer id; nil for an anonymous sale.
    public var customer: String?
    /// Whether to register the customer with this receipt (the first time they are seen).
    public var registering: Bool

    /// The names for one receipt.
    public init(receiptId: String, store: String, customer: String?, registering: Bool) {
        self.receiptId = receiptId
        self.store = store
        self.customer = customer
        self.registering = registering
    }
}

/// The events one receipt becomes.
public struct MappedReceipt: Sendable {
    /// Registration first (when the customer is new), then the purchase or return; empty for an anonymous receipt.
    public var events: [PlannedEvent]
    /// Whether the receipt was written as one `UNITEMIZED` line (its export lacks exact item detail).
    public var unitemized: Bool
}
