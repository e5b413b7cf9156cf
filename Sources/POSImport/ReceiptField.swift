/// The things a column can hold, whatever the export calls it.
enum ReceiptField: String, CaseIterable, Hashable {
    case receiptId, dateTime, date, time, timeZone
    case customerId, customerName, customerEmail, customerPhone, billingName, billingPhone
    case sku, itemName, category, quantity, unitPrice, discount, lineAmount, lineGross, tax
    case total, store, cashier, paymentType, paymentReference, currency, type, originalReceiptId
    case status, cancelledAt, refundedAmount, description, customerContacts
    case cardAmount, cardBrand, cashAmount, giftCardAmount, otherTenderAmount, otherTenderType
}

/// A header row's columns found by name: which index holds each field.
struct BoundColumns {
    /// The header texts as written.
    let names: [String]
    private var index: [ReceiptField: Int] = [:]

    /// Binds each field to the first column whose normalized name is one of its candidates.
    init(header: [String], candidates: [ReceiptField: [String]]) {
        names = header
        let normalized = header.map(BoundColumns.normalize)
        for (field, options) in candidates {
            for option in options {
                if let i = normalized.firstIndex(of: BoundColumns.normalize(option)) {
                    index[field] = i
                    break
                }
            }
        }
    }

    subscript(field: ReceiptField) -> Int? { index[field] }

    /// How many fields found a column.
    var count: Int { index.count }

    /// The header text of `field`'s column (for messages).
    func name(_ field: ReceiptField) -> String? { index[field].map { names[$0] } }

    /// Lower-cased ASCII, inner whitespace collapsed, outer whitespace and quotes trimmed.
    static func normalize(_ s: String) -> String {
        var out = ""
        var space = false
        for ch in s.unicodeScalars {
            if ch == "\u{FEFF}" { continue }
            if ch == " " || ch == "\t" || ch == "\u{00A0}" { space = !out.isEmpty; continue }
            if space { out.append(" "); space = false }
            out.unicodeScalars.append(ch.properties.isUppercase && ch.isASCII ? Unicode.Scalar(ch.value + 32)! : ch)
        }
        return out
    }
}
