import Ledger

/// How each profile reads a receipt's first row (receipt facts) and every row (its item).
extension RowContext {
    /// Reads the receipt-level facts from the first row of a receipt.
    func parseHeader(currency fixedCurrency: String?, refundLinks: [String: String]) throws(RowError) -> DraftHeader {
        let id = text(.receiptId)
        if id == nil && !profile.idOptional { throw RowError(column: name(.receiptId), reason: "\(name(.receiptId)) is empty") }
        var currency = fixedCurrency ?? profile.defaultCurrency ?? ""
        if fixedCurrency == nil, let code = text(.currency) {
            let upper = code.uppercased()
            guard Currency.isKnown(upper) else {
                throw RowError(column: name(.currency), reason: "\(name(.currency)) '\(code)' is not an ISO 4217 currency code")
            }
            currency = upper
        }
        if currency.isEmpty { throw RowError(column: name(.currency), reason: "\(name(.currency)) is empty and no currency option was given") }
        // The receipt's amounts, on this row and the next ones, in its currency's minor units.
        money.minorDigits = Currency.minorUnitDigits(currency) ?? money.minorDigits
        var h = DraftHeader(receiptId: id, occurredAt: try occurredAt(), currency: currency)
        h.store = text(.store)
        h.cashier = text(.cashier)
        h.paymentReference = text(.paymentReference)
        switch profile.kind {
        case .shopify:
            h.total = try requiredAmount(.total)
            h.paymentType = text(.paymentType)
            h.status = text(.status)?.lowercased()
            h.refundedAmount = try amount(.refundedAmount)
            if has(.cancelledAt) { h.cancelledAt = try timestamp(of: .cancelledAt) }
            let email = text(.customerEmail)?.lowercased()
            let phone = text(.customerPhone) ?? text(.billingPhone)
            if let key = email ?? phone {
                h.customer = ImportedCustomer(externalId: key, name: text(.billingName), email: email, phone: phone)
            }
        case .squareItems, .squareTransactions:
            let event = try requiredText(.type)
            switch event.lowercased() {
            case "payment": h.kind = .sale
            case "refund": h.kind = .refund
            default: throw RowError(column: name(.type), reason: "\(name(.type)) '\(event)' is neither Payment nor Refund")
            }
            if h.kind == .refund, let ref = h.paymentReference { h.originalReceiptId = refundLinks[ref] }
            if let cid = text(.customerId) {
                h.customer = ImportedCustomer(externalId: cid, name: text(.customerName))
            }
            if profile.kind == .squareTransactions {
                h.total = try requiredAmount(.total)
                h.paymentType = try squareTenders()
            } else {
                h.paymentType = text(.cardBrand)
            }
        case .uci:
            let invoice = id ?? ""
            if invoice.hasPrefix("C") || invoice.hasPrefix("c") { h.kind = .cancellation }
            if var cid = text(.customerId) {
                if cid.hasSuffix(".0") { cid.removeLast(2) }   // pandas/Excel re-saves write 17850.0
                h.customer = ImportedCustomer(externalId: cid)
            }
        case .loyverse:
            let type = try requiredText(.type)
            switch type.lowercased() {
            case "sale": h.kind = .sale
            case "refund": h.kind = .refund
            default: throw RowError(column: name(.type), reason: "\(name(.type)) '\(type)' is neither Sale nor Refund")
            }
            h.status = text(.status)
            h.paymentType = text(.paymentType)
            if columns[.itemName] == nil {
                h.total = try requiredAmount(.total)
                h.description = text(.description)
                h.gross = try amount(.lineGross)
                h.net = try amount(.lineAmount)
            }
            h.customer = loyverseCustomer()
        case .mapping:
            h.total = try amount(.total)
            h.paymentType = text(.paymentType)
            h.originalReceiptId = text(.originalReceiptId)
            h.typeValue = text(.type)
            let email = text(.customerEmail)
            let phone = text(.customerPhone)
            if let key = text(.customerId) ?? email ?? phone {
                h.customer = ImportedCustomer(externalId: key, name: text(.customerName), email: email, phone: phone)
            }
        }
        return h
    }

    /// Reads the item on the current row into `draft` (profiles with one row per item).
    func parseItem(into draft: inout ReceiptDraft, line: Int) throws(RowError) {
        switch profile.kind {
        case .shopify:
            let qty = try quantity(.quantity)
            let price = try requiredAmount(.unitPrice)
            let discount = try amountOrZero(.discount).magnitude
            guard let gross = qty.times(price) else { throw overflow(.unitPrice) }
            let amount = gross - Int64(discount)
            add(ImportedLine(fileLine: line, sku: text(.sku), name: try requiredText(.itemName), category: nil,
                             quantity: qty, unitPrice: price, discount: Int64(discount), amount: amount),
                contributing: 0, to: &draft)
        case .squareItems:
            let qty = try quantity(.quantity)
            let gross = try requiredAmount(.lineGross)
            let net = try requiredAmount(.lineAmount)
            let discount = try amountOrZero(.discount).magnitude
            let tax = try amountOrZero(.tax)
            add(ImportedLine(fileLine: line, sku: text(.sku), name: try requiredText(.itemName), category: text(.category),
                             quantity: qty, unitPrice: qty.dividing(gross).map { $0 }, discount: Int64(discount), amount: net),
                contributing: net + tax, to: &draft)
        case .uci:
            let qty = try quantity(.quantity)
            let price = try requiredAmount(.unitPrice)
            guard let amount = qty.times(price) else { throw overflow(.unitPrice) }
            add(ImportedLine(fileLine: line, sku: text(.sku), name: text(.itemName) ?? "", category: nil,
                             quantity: qty, unitPrice: price, discount: 0, amount: amount),
                contributing: amount, to: &draft)
        case .loyverse:
            guard columns[.itemName] != nil else { return }   // receipts export: items come from Description
            let qty = try quantity(.quantity)
            let gross = try amountOrZero(.lineGross)
            let net = try requiredAmount(.lineAmount)
            let discount = try amountOrZero(.discount).magnitude
            add(ImportedLine(fileLine: line, sku: text(.sku), name: try requiredText(.itemName), category: text(.category),
                             quantity: qty, unitPrice: qty.dividing(gross), discount: Int64(discount), amount: net),
                contributing: net, to: &draft)
        case .mapping:
            guard columns[.itemName] != nil else { return }
            let qty = try quantity(.quantity)
            let unit = try amount(.unitPrice)
            let discount = Int64(try amountOrZero(.discount).magnitude)
            var lineAmount = try amount(.lineAmount)
            if lineAmount == nil {
                guard let unit, let gross = qty.times(unit) else {
                    throw RowError(column: name(.unitPrice), reason: "\(name(.unitPrice)) is empty and there is no line amount")
                }
                lineAmount = gross - discount
            }
            let amount = lineAmount!
            add(ImportedLine(fileLine: line, sku: text(.sku), name: try requiredText(.itemName), category: text(.category),
                             quantity: qty, unitPrice: unit ?? qty.dividing(amount + discount), discount: discount, amount: amount),
                contributing: amount, to: &draft)
        case .squareTransactions:
            return
        }
    }

    private func add(_ line: ImportedLine, contributing: Int64, to draft: inout ReceiptDraft) {
        draft.lines.append(line)
        draft.rowTotal &+= contributing
        if line.quantity.value < 0 { draft.negativeQuantities += 1 } else if line.quantity.value > 0 { draft.positiveQuantities += 1 }
    }

    private func overflow(_ field: ReceiptField) -> RowError {
        RowError(column: name(field), reason: "\(name(field)) times the quantity is too large")
    }

    /// A date-time column read on its own (Shopify's Cancelled at).
    private func timestamp(of field: ReceiptField) throws(RowError) -> Timestamp? {
        try bytes(field) { (b: UnsafeBufferPointer<UInt8>) throws(RowError) -> Timestamp in
            do throws(NumberError) {
                let local = try DateTimeParser.parse(b, order: dateOrder)
                guard let t = local.timestamp(in: zone) else {
                    throw NumberError(reason: "has no time zone; give the store's zone with --timezone (time_zone in a mapping file)")
                }
                return t
            } catch {
                throw RowError(column: name(field), reason: "\(name(field)) '\(String(decoding: b, as: UTF8.self))' \(error.reason)")
            }
        }
    }

    /// Square Transactions' tenders with money on them: `Visa`, `Cash`, `Cash+Visa`, `Square Gift Card`.
    private func squareTenders() throws(RowError) -> String? {
        var tenders: [String] = []
        if try amountOrZero(.cardAmount) != 0 { tenders.append(text(.cardBrand) ?? "Card") }
        if try amountOrZero(.cashAmount) != 0 { tenders.append("Cash") }
        if try amountOrZero(.giftCardAmount) != 0 { tenders.append("Square Gift Card") }
        if try amountOrZero(.otherTenderAmount) != 0 { tenders.append(text(.otherTenderType) ?? "Other") }
        return tenders.isEmpty ? nil : tenders.joined(separator: "+")
    }

    /// Loyverse's customer: Customer contacts holds an email and/or a phone; the id is the first of
    /// email, phone, name (Loyverse exports no customer id).
    private func loyverseCustomer() -> ImportedCustomer? {
        let name = text(.customerName)
        var email: String?, phone: String?
        if let contacts = text(.customerContacts) {
            for part in contacts.split(whereSeparator: { $0 == "," || $0 == ";" || $0 == "/" }) {
                let p = part.trimmingSpaces
                if p.isEmpty { continue }
                if p.contains("@") { email = email ?? p.lowercased() } else { phone = phone ?? p }
            }
        }
        guard let key = email ?? phone ?? name else { return nil }
        return ImportedCustomer(externalId: key, name: name, email: email, phone: phone)
    }
}

extension StringProtocol {
    /// The text without leading and trailing spaces and tabs.
    var trimmingSpaces: String {
        var s = Substring(self)
        while let f = s.first, f == " " || f == "\t" { s.removeFirst() }
        while let l = s.last, l == " " || l == "\t" { s.removeLast() }
        return String(s)
    }
}
