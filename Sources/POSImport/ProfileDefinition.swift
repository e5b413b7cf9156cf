/// One export format: which header names hold which field, which must be there, and how the
/// format writes its times and currency.
struct ProfileDefinition {
    enum Kind: Equatable { case shopify, squareItems, squareTransactions, uci, loyverse, mapping }

    let kind: Kind
    /// The profile name receipts carry.
    let name: String
    /// Header names (any case) for each field.
    let candidates: [ReceiptField: [String]]
    /// Fields whose column must be present.
    let required: [ReceiptField]
    /// The currency when neither the options nor a column say (UCI: GBP, Square: USD).
    let defaultCurrency: String?
    /// Whether the receipt id may be empty (each such row is then a receipt of its own).
    let idOptional: Bool

    /// Shopify's orders export: one row per line item; follow-on rows repeat only Name, Email,
    /// Created at and the line-item fields.
    static let shopify = ProfileDefinition(
        kind: .shopify, name: POSProfileName.shopify.rawValue,
        candidates: [
            .receiptId: ["Name"], .dateTime: ["Created at"], .customerEmail: ["Email"], .customerPhone: ["Phone"],
            .billingName: ["Billing Name"], .billingPhone: ["Billing Phone"], .sku: ["Lineitem sku"],
            .itemName: ["Lineitem name"], .quantity: ["Lineitem quantity"], .unitPrice: ["Lineitem price"],
            .discount: ["Lineitem discount"], .total: ["Total"], .store: ["Location"], .cashier: ["Employee"],
            .paymentType: ["Payment Method"], .paymentReference: ["Payment Reference"], .currency: ["Currency"],
            .status: ["Financial Status"], .cancelledAt: ["Cancelled at"], .refundedAmount: ["Refunded Amount"],
        ],
        required: [.receiptId, .dateTime, .itemName, .quantity, .unitPrice, .total, .currency, .status],
        defaultCurrency: nil, idOptional: false)

    /// Square's Item Sales detail: one row per item; a refund is its own transaction (Event Type
    /// Refund, negative Qty and money) sharing the Payment ID of the payment it refunds.
    static let squareItems = ProfileDefinition(
        kind: .squareItems, name: POSProfileName.squareItems.rawValue,
        candidates: [
            .receiptId: ["Transaction ID"], .date: ["Date"], .time: ["Time"], .timeZone: ["Time Zone"],
            .category: ["Category"], .itemName: ["Item"], .quantity: ["Qty"], .sku: ["SKU"],
            .lineGross: ["Gross Sales"], .discount: ["Discounts"], .lineAmount: ["Net Sales"], .tax: ["Tax"],
            .paymentReference: ["Payment ID"], .type: ["Event Type"], .store: ["Location"],
            .customerId: ["Customer ID"], .customerName: ["Customer Name"], .cashier: ["Employee"],
            .cardBrand: ["Card Brand"],
        ],
        required: [.receiptId, .date, .time, .itemName, .quantity, .lineGross, .lineAmount, .type],
        defaultCurrency: "USD", idOptional: false)

    /// Square's Transactions export: one row per payment or refund, no items.
    static let squareTransactions = ProfileDefinition(
        kind: .squareTransactions, name: POSProfileName.squareTransactions.rawValue,
        candidates: [
            .receiptId: ["Transaction ID"], .date: ["Date"], .time: ["Time"], .timeZone: ["Time Zone"],
            .total: ["Total Collected"], .paymentReference: ["Payment ID"], .type: ["Event Type"],
            .store: ["Location"], .customerId: ["Customer ID"], .customerName: ["Customer Name"],
            .cashier: ["Staff Name"], .cardBrand: ["Card Brand"], .cardAmount: ["Card"], .cashAmount: ["Cash"],
            .giftCardAmount: ["Square Gift Card"], .otherTenderAmount: ["Other Tender"],
            .otherTenderType: ["Other Tender Type"],
        ],
        required: [.receiptId, .date, .total, .type],
        defaultCurrency: "USD", idOptional: true)

    /// The UCI Online Retail data sets (I: InvoiceNo/UnitPrice/CustomerID; II: Invoice/Price/Customer ID).
    static let uci = ProfileDefinition(
        kind: .uci, name: POSProfileName.uciOnlineRetail.rawValue,
        candidates: [
            .receiptId: ["Invoice", "InvoiceNo"], .sku: ["StockCode"], .itemName: ["Description"],
            .quantity: ["Quantity"], .dateTime: ["InvoiceDate"], .unitPrice: ["Price", "UnitPrice"],
            .customerId: ["Customer ID", "CustomerID"],
        ],
        required: [.receiptId, .sku, .itemName, .quantity, .dateTime, .unitPrice],
        defaultCurrency: "GBP", idOptional: false)

    /// Loyverse's receipts export (one row per receipt, items in Description as `2 x Latte, 1 x Bagel`)
    /// and its item-sales export (one row per item, with Item and Quantity).
    static let loyverse = ProfileDefinition(
        kind: .loyverse, name: POSProfileName.loyverse.rawValue,
        candidates: [
            .dateTime: ["Date"], .receiptId: ["Receipt number"], .type: ["Receipt type"],
            .lineGross: ["Gross sales"], .discount: ["Discounts"], .lineAmount: ["Net sales"], .tax: ["Taxes"],
            .total: ["Total collected"], .paymentType: ["Payment type"], .description: ["Description"],
            .store: ["Store"], .cashier: ["Cashier name"], .customerName: ["Customer name"],
            .customerContacts: ["Customer contacts"], .status: ["Status"], .itemName: ["Item"],
            .quantity: ["Quantity"], .sku: ["SKU"], .category: ["Category"],
        ],
        required: [.dateTime, .receiptId, .type],
        defaultCurrency: nil, idOptional: false)

    /// The built-in profiles, in the order detection tries them.
    static let builtIn: [ProfileDefinition] = [.shopify, .squareItems, .squareTransactions, .uci, .loyverse]

    /// The built-in profile called `name`.
    static func named(_ name: POSProfileName) -> ProfileDefinition {
        switch name {
        case .shopify: return .shopify
        case .squareItems: return .squareItems
        case .squareTransactions: return .squareTransactions
        case .uciOnlineRetail: return .uci
        case .loyverse: return .loyverse
        }
    }

    /// A profile reading the columns a mapping file names, exactly.
    init(mapping m: POSMapping) {
        var c: [ReceiptField: [String]] = [:]
        let cols = m.columns
        let pairs: [(ReceiptField, String?)] = [
            (.receiptId, cols.receiptId), (.dateTime, cols.dateTime), (.date, cols.date), (.time, cols.time),
            (.timeZone, cols.timeZone), (.customerId, cols.customerId), (.customerName, cols.customerName),
            (.customerEmail, cols.customerEmail), (.customerPhone, cols.customerPhone), (.sku, cols.sku),
            (.itemName, cols.itemName), (.category, cols.category), (.quantity, cols.quantity),
            (.unitPrice, cols.unitPrice), (.discount, cols.discount), (.lineAmount, cols.lineAmount),
            (.total, cols.total), (.store, cols.store), (.cashier, cols.cashier), (.paymentType, cols.paymentType),
            (.currency, cols.currency), (.type, cols.type), (.originalReceiptId, cols.originalReceiptId),
        ]
        for (field, name) in pairs { if let name { c[field] = [name] } }
        self.init(kind: .mapping, name: "mapping:" + m.name, candidates: c, required: Array(c.keys),
                  defaultCurrency: nil, idOptional: false)
    }

    private init(kind: Kind, name: String, candidates: [ReceiptField: [String]], required: [ReceiptField],
                 defaultCurrency: String?, idOptional: Bool) {
        self.kind = kind
        self.name = name
        self.candidates = candidates
        self.required = required
        self.defaultCurrency = defaultCurrency
        self.idOptional = idOptional
    }

    /// The header names of required fields missing from `columns`.
    func missing(in columns: BoundColumns) -> [String] {
        var missing = required.filter { columns[$0] == nil }.compactMap { candidates[$0]?.first }
        if kind == .loyverse && columns[.total] == nil && (columns[.itemName] == nil || columns[.quantity] == nil) {
            missing.append("Total collected")
        }
        return missing.sorted()
    }

    /// Picks the built-in profile whose required columns the header has.
    /// - Throws: ``POSImportError/unrecognizedHeader(path:columns:)`` when no known column is there,
    ///   ``POSImportError/missingColumns(path:profile:missing:)`` when the closest profile lacks some.
    static func detect(header: [String], path: String) throws(POSImportError) -> (ProfileDefinition, BoundColumns) {
        var best: (ProfileDefinition, BoundColumns)?
        for profile in builtIn {
            let columns = BoundColumns(header: header, candidates: profile.candidates)
            if profile.missing(in: columns).isEmpty { return (profile, columns) }
            // Closest: most required columns present (ties to the earlier profile).
            let have = profile.required.filter { columns[$0] != nil }.count
            if have > 0, best == nil || have > best!.0.required.filter({ best!.1[$0] != nil }).count {
                best = (profile, columns)
            }
        }
        guard let (profile, columns) = best, profile.required.filter({ columns[$0] != nil }).count >= 2 else {
            throw .unrecognizedHeader(path: path, columns: header)
        }
        throw .missingColumns(path: path, profile: profile.name, missing: profile.missing(in: columns))
    }
}
