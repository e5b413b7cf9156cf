import Ledger

/// One receipt read from a POS export: what a store sold (or took back) in one transaction,
/// to whom, when and where, ready to be mapped to ledger events.
///
/// A receipt is all or nothing: it is only produced when every row it was built from was read
/// cleanly; otherwise its rows are reported as ``RejectedRow`` values instead.
public struct ImportedReceipt: Sendable, Hashable {
    /// The profile that read it: `shopify`, `square-items`, `square-transactions`,
    /// `uci-online-retail`, `loyverse`, or `mapping:NAME` for a mapping file's `name`.
    public var profile: String
    /// The receipt (order, invoice, transaction) id exactly as the export gives it, e.g. `#13519`,
    /// `C536379`, `4-10378`. Nil when the export leaves it empty (Square's transactions export
    /// after an Excel re-save); the caller must then identify the receipt by file and line.
    public var receiptId: String?
    /// Whether it is a sale, a refund or a cancellation.
    public var kind: ReceiptKind
    /// For a refund or cancellation, the id of the receipt it reverses, when the export links them
    /// (Square item exports link a refund to its payment by the shared Payment ID; a mapping file
    /// may name a column). Nil when the export does not say.
    public var originalReceiptId: String?
    /// The export's payment reference (Square's Payment ID, Shopify's Payment Reference), shared by a
    /// payment and its refunds, so receipts can be linked across files. Nil when absent.
    public var paymentReference: String?
    /// When the sale happened, with the UTC offset of the store's zone at that instant.
    public var occurredAt: Timestamp
    /// The store or location name or code the export gives (Square's Location, Loyverse's Store,
    /// Shopify's Location). Nil when the export leaves it empty.
    public var store: String?
    /// The cashier or employee who rang it up. Nil when the export does not say.
    public var cashier: String?
    /// Who bought; nil for an anonymous sale (no customer id, email, phone or card number).
    public var customer: ImportedCustomer?
    /// The ISO 4217 code of every amount on the receipt, e.g. `USD`, `ZAR`, `JPY`.
    public var currency: String
    /// The items, in file order. Empty when the export has no item detail (Square's transactions
    /// export, a Loyverse receipt whose description could not be read as items).
    public var lines: [ImportedLine]
    /// The amount the customer paid, in minor units of ``currency``; negative for refunds and
    /// cancellations. What it includes is the export's own total (Shopify: Total; Square items:
    /// net sales plus tax; Square transactions and Loyverse: Total collected; UCI: sum of lines).
    public var total: Int64
    /// How it was paid (`Visa`, `Cash`, `PayGate`, `Cash on Delivery (COD)`…), nil when not given.
    public var paymentType: String?
    /// The export's own status word when it carries one (Shopify's Financial Status, Loyverse's
    /// Status), so the caller can tell a pending order from a paid one.
    public var sourceStatus: String?
    /// The 1-based physical line numbers in the file of the rows this receipt was built from
    /// (the header is line 1). A row spanning several lines (a quoted newline) is given by its first.
    public var fileLines: [Int]

    /// Makes a receipt; readers build these, tests and other importers may too.
    public init(profile: String, receiptId: String?, kind: ReceiptKind, originalReceiptId: String? = nil,
                paymentReference: String? = nil, occurredAt: Timestamp, store: String? = nil,
                cashier: String? = nil, customer: ImportedCustomer? = nil, currency: String,
                lines: [ImportedLine], total: Int64, paymentType: String? = nil,
                sourceStatus: String? = nil, fileLines: [Int]) {
        self.profile = profile
        self.receiptId = receiptId
        self.kind = kind
        self.originalReceiptId = originalReceiptId
        self.paymentReference = paymentReference
        self.occurredAt = occurredAt
        self.store = store
        self.cashier = cashier
        self.customer = customer
        self.currency = currency
        self.lines = lines
        self.total = total
        self.paymentType = paymentType
        self.sourceStatus = sourceStatus
        self.fileLines = fileLines
    }
}

/// What a receipt records: a sale, or money and goods going back to the customer.
public enum ReceiptKind: String, Sendable, Hashable, CaseIterable {
    /// Goods sold to the customer.
    case sale
    /// Money (and usually goods) returned after a sale: Square `Event Type=Refund`, Loyverse
    /// `Receipt type=Refund`, a refunded Shopify order, a mapping file's return rows.
    case refund
    /// A whole invoice cancelled after it was issued: UCI Online Retail invoices starting with `C`.
    case cancellation
}

/// The customer named on a receipt, as the export identifies them.
public struct ImportedCustomer: Sendable, Hashable {
    /// The export's key for the customer: its customer id when it has one (Square Customer ID, UCI
    /// Customer ID, a mapping's member card number), otherwise the email, otherwise the phone.
    public var externalId: String
    /// The customer's name, when the export gives one.
    public var name: String?
    /// The customer's email address, when the export gives one.
    public var email: String?
    /// The customer's phone number as written in the export, when it gives one.
    public var phone: String?

    /// A customer known by `externalId`, with whatever contact details the export had.
    public init(externalId: String, name: String? = nil, email: String? = nil, phone: String? = nil) {
        self.externalId = externalId
        self.name = name
        self.email = email
        self.phone = phone
    }
}
