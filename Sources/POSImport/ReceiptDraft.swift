import Ledger

/// The receipt-level facts read from the first row of a receipt.
struct DraftHeader {
    var receiptId: String?
    var kind: ReceiptKind = .sale
    var originalReceiptId: String?
    var paymentReference: String?
    var occurredAt: Timestamp
    var store: String?
    var cashier: String?
    var customer: ImportedCustomer?
    var currency: String
    /// The export's own receipt total, when it has one.
    var total: Int64?
    var paymentType: String?
    var status: String?
    /// Shopify: when the order was cancelled; Loyverse: the items description.
    var cancelledAt: Timestamp?
    var refundedAmount: Int64?
    var description: String?
    /// Loyverse receipts export: gross sales and net sales, to price a one-item description.
    var gross: Int64?
    var net: Int64?
    /// The mapping's type column value.
    var typeValue: String?
}

/// The rows of one receipt gathered so far (consecutive rows with the same receipt id).
struct ReceiptDraft {
    var key: String?
    var fileLines: [Int] = []
    /// Each row's raw text, as ranges into the reader's arena.
    var rawRanges: [Range<Int>] = []
    /// The first row that could not be read, and why.
    var failure: (line: Int, error: RowError)?
    var header: DraftHeader?
    var lines: [ImportedLine] = []
    /// The sum of the rows' contributions to the total (lines, or net + tax).
    var rowTotal: Int64 = 0
    var negativeQuantities = 0
    var positiveQuantities = 0

    init(key: String?) { self.key = key }
}
