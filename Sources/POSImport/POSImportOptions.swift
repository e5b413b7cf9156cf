/// The export formats the reader knows by their header.
public enum POSProfileName: String, Sendable, Hashable, CaseIterable, Codable {
    /// Shopify's orders export (75 or 79 columns), one row per line item.
    case shopify
    /// Square's Item Sales detail export (33 or 35 columns), one row per item.
    case squareItems = "square-items"
    /// Square's Transactions export, one row per payment or refund.
    case squareTransactions = "square-transactions"
    /// The UCI Online Retail (I and II) data sets' invoice lines.
    case uciOnlineRetail = "uci-online-retail"
    /// Loyverse's receipts export, one row per receipt.
    case loyverse
}

/// The text encodings an export can be in.
public enum TextEncoding: String, Sendable, Hashable, Codable {
    /// UTF-8, with or without a byte-order mark.
    case utf8
    /// GB18030 (a superset of GBK and GB2312), as Chinese POS systems and Excel in China write.
    case gb18030
    /// UTF-16 with a byte-order mark (Excel's "Unicode text").
    case utf16
}

/// How to read an export; every field has a sensible default for files that say it themselves.
public struct POSImportOptions: Sendable {
    /// Which format the file is: nil detects it from the header.
    public var profile: POSProfileName?
    /// A mapping file's content for a POS with no built-in profile (overrides ``profile``).
    public var mapping: POSMapping?
    /// The text encoding: nil detects UTF-8 (with or without BOM), UTF-16 (by its BOM) or GB18030
    /// (when the start of the file is not valid UTF-8 but is valid GB18030).
    public var encoding: TextEncoding?
    /// The field separator: nil detects `,`, `;` or tab from the header line.
    public var delimiter: UInt8?
    /// The day/month order of numeric dates: nil decides from the file (a part above 12 settles it)
    /// and refuses a file where every date reads both ways.
    public var dateOrder: DateOrder?
    /// The store's IANA time zone (e.g. `Europe/London`), for times written without one.
    public var timeZone: String?
    /// The ISO 4217 currency, for exports that do not say it (Square `$` amounts are USD without it;
    /// UCI Online Retail is GBP; Loyverse needs it).
    public var currency: String?
    /// The decimal mark: nil reads each amount by its own shape and assumes a point when it could be
    /// either (a comma in semicolon-separated files).
    public var decimalMark: DecimalMark?

    /// Options that detect everything the file itself says.
    public init(profile: POSProfileName? = nil, mapping: POSMapping? = nil, encoding: TextEncoding? = nil,
                delimiter: UInt8? = nil, dateOrder: DateOrder? = nil, timeZone: String? = nil,
                currency: String? = nil, decimalMark: DecimalMark? = nil) {
        self.profile = profile
        self.mapping = mapping
        self.encoding = encoding
        self.delimiter = delimiter
        self.dateOrder = dateOrder
        self.timeZone = timeZone
        self.currency = currency
        self.decimalMark = decimalMark
    }
}
