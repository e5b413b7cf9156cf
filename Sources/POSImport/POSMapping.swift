import Foundation
import TOMLKit

/// How to read one POS's export that has no built-in profile: which column holds what, and how its
/// dates, money and returns are written. Loaded from a TOML or JSON file (schema:
/// `schemas/pos-mapping.schema.json`; example: `schemas/examples/pos-mapping.example.toml`).
public struct POSMapping: Sendable, Hashable, Codable {
    /// A short name for this POS; receipts carry the profile `mapping:NAME`.
    public var name: String
    /// The file encoding, when it is not UTF-8 (`gb18030` for most Chinese POS systems).
    public var encoding: TextEncoding?
    /// The field separator (`,`, `;` or `\t`), when it should not be detected.
    public var delimiter: String?
    /// The ISO 4217 currency of every amount, unless ``Columns/currency`` names a column.
    public var currency: String?
    /// The store's IANA time zone, for times written without an offset.
    public var timeZone: String?
    /// The date format, e.g. `YYYY-MM-DD HH:mm:ss`, `DD/MM/YYYY`, `M/D/YY h:mm a` — the order of D, M
    /// and Y is what matters (separators, 12/24-hour clocks, seconds and offsets are read as found).
    public var dateFormat: String?
    /// Which header holds each field.
    public var columns: Columns
    /// How amounts are written.
    public var money: Money?
    /// How returns (refunds) and cancellations show.
    public var returns: Returns?

    /// The columns of the export, by their header text exactly as written (e.g. `单号`).
    public struct Columns: Sendable, Hashable, Codable {
        /// The receipt id; rows in a run with the same id are one receipt. Required.
        public var receiptId: String
        /// Date and time together (`2025-12-31 14:05:00`). This or ``date`` is required.
        public var dateTime: String?
        /// The date alone, when the time is in its own column.
        public var date: String?
        /// The time alone.
        public var time: String?
        /// A per-row IANA or Rails time zone name.
        public var timeZone: String?
        /// The customer's id or member card number.
        public var customerId: String?
        /// The customer's name.
        public var customerName: String?
        /// The customer's email.
        public var customerEmail: String?
        /// The customer's phone number.
        public var customerPhone: String?
        /// The item's SKU or barcode.
        public var sku: String?
        /// The item's name.
        public var itemName: String?
        /// The item's category.
        public var category: String?
        /// The quantity (negative on returns, where the POS writes them so).
        public var quantity: String?
        /// The price of one unit.
        public var unitPrice: String?
        /// The discount on the line.
        public var discount: String?
        /// The line's amount after discount.
        public var lineAmount: String?
        /// The receipt's total (repeated on each row, or on its first); without it the total is the sum of lines.
        public var total: String?
        /// The store or location.
        public var store: String?
        /// The cashier.
        public var cashier: String?
        /// How it was paid.
        public var paymentType: String?
        /// A per-row ISO 4217 currency code.
        public var currency: String?
        /// A column whose value says sale or return (see ``Returns/typeValues``).
        public var type: String?
        /// The id of the receipt a return reverses.
        public var originalReceiptId: String?

        /// Columns naming at least the receipt id.
        public init(receiptId: String, dateTime: String? = nil, date: String? = nil, time: String? = nil,
                    timeZone: String? = nil, customerId: String? = nil, customerName: String? = nil,
                    customerEmail: String? = nil, customerPhone: String? = nil, sku: String? = nil,
                    itemName: String? = nil, category: String? = nil, quantity: String? = nil,
                    unitPrice: String? = nil, discount: String? = nil, lineAmount: String? = nil,
                    total: String? = nil, store: String? = nil, cashier: String? = nil,
                    paymentType: String? = nil, currency: String? = nil, type: String? = nil,
                    originalReceiptId: String? = nil) {
            self.receiptId = receiptId; self.dateTime = dateTime; self.date = date; self.time = time
            self.timeZone = timeZone; self.customerId = customerId; self.customerName = customerName
            self.customerEmail = customerEmail; self.customerPhone = customerPhone; self.sku = sku
            self.itemName = itemName; self.category = category; self.quantity = quantity
            self.unitPrice = unitPrice; self.discount = discount; self.lineAmount = lineAmount
            self.total = total; self.store = store; self.cashier = cashier; self.paymentType = paymentType
            self.currency = currency; self.type = type; self.originalReceiptId = originalReceiptId
        }

        enum CodingKeys: String, CodingKey, CaseIterable {
            case receiptId = "receipt_id", dateTime = "date_time", date, time, timeZone = "time_zone"
            case customerId = "customer_id", customerName = "customer_name", customerEmail = "customer_email"
            case customerPhone = "customer_phone", sku, itemName = "item_name", category, quantity
            case unitPrice = "unit_price", discount, lineAmount = "line_amount", total, store, cashier
            case paymentType = "payment_type", currency, type, originalReceiptId = "original_receipt_id"
        }
    }

    /// How amounts are written.
    public struct Money: Sendable, Hashable, Codable {
        /// `point` (`1,149.00`) or `comma` (`1.149,00`); when set, only this mark is a decimal mark.
        public var decimalMark: DecimalMark?
        /// The currency symbol the POS writes (`¥`, `R`, `€`); symbols are stripped either way, this documents it.
        public var currencySymbol: String?
        /// Whether `(12.00)` means −12.00 (default true); when false, parentheses are an error.
        public var negativeParentheses: Bool?

        /// A money format.
        public init(decimalMark: DecimalMark? = nil, currencySymbol: String? = nil, negativeParentheses: Bool? = nil) {
            self.decimalMark = decimalMark
            self.currencySymbol = currencySymbol
            self.negativeParentheses = negativeParentheses
        }

        enum CodingKeys: String, CodingKey, CaseIterable {
            case decimalMark = "decimal_mark", currencySymbol = "currency_symbol", negativeParentheses = "negative_parentheses"
        }
    }

    /// How returns appear; any one rule that matches makes the receipt a refund.
    public struct Returns: Sendable, Hashable, Codable {
        /// A receipt whose lines all have negative quantities is a return (default true).
        public var negativeQuantity: Bool?
        /// Values of ``Columns/type`` that mean a return (compared ignoring case), e.g. `["退货", "Refund"]`.
        public var typeValues: [String]?
        /// Values of ``Columns/type`` that mean a cancelled receipt (imported as a cancellation).
        public var cancellationValues: [String]?
        /// A prefix of the receipt id that marks a return, e.g. `R` or `TH`.
        public var receiptIdPrefix: String?

        /// Return rules.
        public init(negativeQuantity: Bool? = nil, typeValues: [String]? = nil, cancellationValues: [String]? = nil,
                    receiptIdPrefix: String? = nil) {
            self.negativeQuantity = negativeQuantity
            self.typeValues = typeValues
            self.cancellationValues = cancellationValues
            self.receiptIdPrefix = receiptIdPrefix
        }

        enum CodingKeys: String, CodingKey, CaseIterable {
            case negativeQuantity = "negative_quantity", typeValues = "type_values"
            case cancellationValues = "cancellation_values", receiptIdPrefix = "receipt_id_prefix"
        }
    }

    /// A mapping named `name` reading `columns`.
    public init(name: String, encoding: TextEncoding? = nil, delimiter: String? = nil, currency: String? = nil,
                timeZone: String? = nil, dateFormat: String? = nil, columns: Columns, money: Money? = nil,
                returns: Returns? = nil) {
        self.name = name
        self.encoding = encoding
        self.delimiter = delimiter
        self.currency = currency
        self.timeZone = timeZone
        self.dateFormat = dateFormat
        self.columns = columns
        self.money = money
        self.returns = returns
    }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case name, encoding, delimiter, currency, timeZone = "time_zone", dateFormat = "date_format", columns, money, returns
    }

    /// Reads a mapping from a `.toml` or `.json` file (by its extension; anything else is tried as TOML)
    /// and checks it.
    /// - Throws: ``POSImportError/invalidMapping(path:reason:)`` saying which key is wrong.
    public static func load(path: String) throws(POSImportError) -> POSMapping {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw .invalidMapping(path: path, reason: "cannot read the file")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw .invalidMapping(path: path, reason: "is not UTF-8 text")
        }
        let mapping: POSMapping
        do {
            if path.lowercased().hasSuffix(".json") {
                mapping = try JSONDecoder().decode(POSMapping.self, from: data)
            } else {
                mapping = try TOMLDecoder().decode(POSMapping.self, from: text)
            }
        } catch let error as DecodingError {
            throw .invalidMapping(path: path, reason: describe(error))
        } catch let error as TOMLParseError {
            throw .invalidMapping(path: path, reason: "not valid TOML: \(error.description) (line \(error.source.begin.line))")
        } catch {
            throw .invalidMapping(path: path, reason: "\(error)")
        }
        try mapping.validate(path: path)
        return mapping
    }

    /// Checks the values a decoder cannot: known currency and zone, a date format with D, M and Y,
    /// a date column, a usable delimiter.
    public func validate(path: String) throws(POSImportError) {
        if name.isEmpty { throw .invalidMapping(path: path, reason: "name is empty") }
        if let currency, !Currency.isKnown(currency) {
            throw .invalidMapping(path: path, reason: "currency '\(currency)' is not an ISO 4217 code")
        }
        if currency == nil && columns.currency == nil {
            throw .invalidMapping(path: path, reason: "give currency (an ISO 4217 code) or columns.currency")
        }
        if let dateFormat, DateOrder(pattern: dateFormat) == nil {
            throw .invalidMapping(path: path, reason: "date_format '\(dateFormat)' does not show the order of D, M and Y (e.g. DD/MM/YYYY HH:mm)")
        }
        if columns.dateTime == nil && columns.date == nil {
            throw .invalidMapping(path: path, reason: "columns needs date_time, or date (with time)")
        }
        if columns.itemName == nil && columns.total == nil {
            throw .invalidMapping(path: path, reason: "columns needs item_name (with quantity and line_amount or unit_price) or total")
        }
        if columns.itemName != nil && (columns.quantity == nil || (columns.lineAmount == nil && columns.unitPrice == nil)) {
            throw .invalidMapping(path: path, reason: "with item_name, columns needs quantity and line_amount or unit_price")
        }
        if let delimiter, delimiterByte == nil {
            throw .invalidMapping(path: path, reason: "delimiter '\(delimiter)' must be one of ',', ';', '\\t' or '|'")
        }
        if let timeZone, ZoneRules(identifier: timeZone) == nil {
            throw .invalidMapping(path: path, reason: "time_zone '\(timeZone)' is not an IANA zone name")
        }
    }

    /// The delimiter as a byte, nil when unset or unusable.
    var delimiterByte: UInt8? {
        switch delimiter {
        case ",": return 44
        case ";": return 59
        case "\t", "\\t", "tab": return 9
        case "|": return 124
        default: return nil
        }
    }

    private static func describe(_ error: DecodingError) -> String {
        func path(_ keys: [CodingKey]) -> String {
            keys.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }.joined(separator: ".")
        }
        switch error {
        case .keyNotFound(let key, let context):
            var keys = context.codingPath
            if keys.last?.stringValue == key.stringValue { keys.removeLast() }   // TOMLKit includes the key itself
            let at = path(keys)
            return "missing key '\(at.isEmpty ? "" : at + ".")\(key.stringValue)'"
        case .typeMismatch(_, let context), .valueNotFound(_, let context):
            return "'\(path(context.codingPath))': \(context.debugDescription)"
        case .dataCorrupted(let context):
            return "'\(path(context.codingPath))': \(context.debugDescription)"
        @unknown default:
            return "\(error)"
        }
    }
}
