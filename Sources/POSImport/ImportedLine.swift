/// One item line of a receipt: what was sold (or returned), how many, and for how much.
public struct ImportedLine: Sendable, Hashable {
    /// The 1-based physical line of the file the item came from.
    public var fileLine: Int
    /// The stock-keeping unit or product code, nil when the export leaves it empty.
    public var sku: String?
    /// The item's name as the export writes it.
    public var name: String
    /// The item's category, nil when the export has none (Square writes `None` for "no category";
    /// that is kept as written).
    public var category: String?
    /// How many, exactly as written (`1.0`, `-1`, `0.250`); negative on refunds and cancellations.
    public var quantity: ExactDecimal
    /// The price of one unit in minor units, nil when the export gives no unit price and it cannot
    /// be derived exactly (Square gives only the line's gross; Loyverse receipts only a description).
    public var unitPrice: Int64?
    /// The discount on this line in minor units, as a positive amount taken off (0 when none).
    public var discount: Int64
    /// What the line came to after its discount, in minor units (negative on refunds); nil when the
    /// export gives no per-line money (a Loyverse receipt listing several items in its description).
    public var amount: Int64?

    /// Makes a line; readers build these.
    public init(fileLine: Int, sku: String?, name: String, category: String?, quantity: ExactDecimal,
                unitPrice: Int64?, discount: Int64, amount: Int64?) {
        self.fileLine = fileLine
        self.sku = sku
        self.name = name
        self.category = category
        self.quantity = quantity
        self.unitPrice = unitPrice
        self.discount = discount
        self.amount = amount
    }
}
