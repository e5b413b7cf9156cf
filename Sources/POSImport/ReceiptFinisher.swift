import Ledger

/// Turns a complete draft into what the reader yields: a receipt (or two, for a refunded Shopify
/// order), a skipped receipt, or one rejected row per row of a receipt that could not be read.
struct ReceiptFinisher {
    let path: String
    let profile: ProfileDefinition
    let mapping: POSMapping?

    /// The records for `draft`, whose rows' raw text is `raw(range)`.
    func finish(_ draft: ReceiptDraft, raw: (Range<Int>) -> String) -> [POSRecord] {
        if let failure = draft.failure {
            return rejects(draft, failure: failure, raw: raw)
        }
        guard var header = draft.header else { return [] }
        var lines = draft.lines
        var kind = header.kind
        // Return rules of a mapping file.
        if profile.kind == .mapping {
            let rules = mapping?.returns
            if let value = header.typeValue?.lowercased() {
                if rules?.typeValues?.contains(where: { $0.lowercased() == value }) == true { kind = .refund }
                if rules?.cancellationValues?.contains(where: { $0.lowercased() == value }) == true { kind = .cancellation }
            }
            if let prefix = rules?.receiptIdPrefix, !prefix.isEmpty, header.receiptId?.hasPrefix(prefix) == true { kind = .refund }
            if rules?.negativeQuantity ?? true, draft.negativeQuantities > 0, draft.positiveQuantities == 0 { kind = .refund }
        }
        // Loyverse receipts export: the items are in Description.
        if profile.kind == .loyverse, lines.isEmpty, let description = header.description, let first = draft.fileLines.first {
            lines = LoyverseDescription.lines(description, fileLine: first, gross: header.gross, net: header.net,
                                              negative: kind == .refund)
        }
        var total = header.total ?? draft.rowTotal
        // Returns are negative in the output whatever sign the export writes them with.
        if kind != .sale && total > 0 && lines.allSatisfy({ ($0.amount ?? 0) >= 0 && $0.quantity.value >= 0 }) {
            total = -total
            lines = lines.map { l in
                var l = l
                l.quantity.value = -l.quantity.value
                l.amount = l.amount.map { -$0 }
                return l
            }
        }
        header.kind = kind
        let receipt = ImportedReceipt(
            profile: profile.name, receiptId: header.receiptId, kind: kind, originalReceiptId: header.originalReceiptId,
            paymentReference: header.paymentReference, occurredAt: header.occurredAt, store: header.store,
            cashier: header.cashier, customer: header.customer, currency: header.currency, lines: lines, total: total,
            paymentType: header.paymentType, sourceStatus: header.status, fileLines: draft.fileLines)
        switch profile.kind {
        case .shopify: return shopify(receipt, header: header, draft: draft, raw: raw)
        case .loyverse:
            if let status = header.status?.lowercased(), status == "cancelled" || status == "canceled" || status == "voided" {
                return [.skipped(SkippedReceipt(file: path, profile: profile.name, receiptId: header.receiptId,
                                                reason: "receipt \(header.status!) in Loyverse: nothing was sold",
                                                fileLines: draft.fileLines))]
            }
            return [.receipt(receipt)]
        case .uci:
            if let id = header.receiptId, id.hasPrefix("A") {
                return [.skipped(SkippedReceipt(file: path, profile: profile.name, receiptId: id,
                                                reason: "an accounting adjustment (invoice starting with A, e.g. 'Adjust bad debt'), not a sale",
                                                fileLines: draft.fileLines))]
            }
            return [.receipt(receipt)]
        default:
            return [.receipt(receipt)]
        }
    }

    /// Shopify's Financial Status decides: paid, partially_paid, authorized and pending orders are
    /// sales (pending: placed, paid later — cash on delivery, bank transfer); refunded and
    /// partially_refunded orders are a sale followed by a refund of the Refunded Amount; voided and
    /// expired orders were never paid and are skipped; any other status rejects the order.
    private func shopify(_ sale: ImportedReceipt, header: DraftHeader, draft: ReceiptDraft,
                         raw: (Range<Int>) -> String) -> [POSRecord] {
        let status = header.status ?? ""
        switch status {
        case "paid", "partially_paid", "authorized", "pending":
            return [.receipt(sale)]
        case "voided", "expired":
            let when = header.cancelledAt.map { " (cancelled at \($0.iso8601))" } ?? ""
            return [.skipped(SkippedReceipt(file: path, profile: profile.name, receiptId: header.receiptId,
                                            reason: "order \(status)\(when): it was never paid, so nothing was sold",
                                            fileLines: draft.fileLines))]
        case "refunded", "partially_refunded":
            let full = status == "refunded"
            let amount = header.refundedAmount.flatMap { $0 > 0 ? $0 : nil } ?? (full ? sale.total : 0)
            var refund = sale
            refund.kind = .refund
            refund.originalReceiptId = sale.receiptId
            refund.total = -amount
            // The export gives no refund time: Cancelled at when the order was cancelled, else the order's time.
            refund.occurredAt = header.cancelledAt ?? sale.occurredAt
            refund.lines = full ? sale.lines.map { l in
                var l = l
                l.quantity.value = -l.quantity.value
                l.amount = l.amount.map { -$0 }
                return l
            } : []
            return amount > 0 ? [.receipt(sale), .receipt(refund)] : [.receipt(sale)]
        default:
            let failure = (line: draft.fileLines.first ?? 0,
                           error: RowError(column: "Financial Status",
                                           reason: "Financial Status '\(status)' is not one of paid, partially_paid, authorized, pending, partially_refunded, refunded, voided, expired"))
            return rejects(draft, failure: failure, raw: raw)
        }
    }

    private func rejects(_ draft: ReceiptDraft, failure: (line: Int, error: RowError), raw: (Range<Int>) -> String) -> [POSRecord] {
        let id = draft.key.map { "receipt \($0)" } ?? "its receipt"
        return zip(draft.fileLines, draft.rawRanges).map { line, range in
            if line == failure.line {
                return .rejected(RejectedRow(file: path, line: line, column: failure.error.column,
                                             reason: failure.error.reason, rawRow: raw(range)))
            }
            return .rejected(RejectedRow(file: path, line: line, column: nil,
                                         reason: "not imported: \(id) is rejected as a whole because line \(failure.line) has an error (\(failure.error.reason))",
                                         rawRow: raw(range)))
        }
    }
}

/// Loyverse receipts list their items only as text: `2 x Latte, 1 x Bagel` (also `Latte x 2`, `×`).
enum LoyverseDescription {
    /// The items of `description`; a single item gets the receipt's net sales as its amount and a
    /// unit price when the gross divides exactly; with several items the money per item is unknown.
    static func lines(_ description: String, fileLine: Int, gross: Int64?, net: Int64?, negative: Bool) -> [ImportedLine] {
        let parts = description.split(separator: ",").map { $0.trimmingSpaces }.filter { !$0.isEmpty }
        var lines: [ImportedLine] = parts.map { part in
            var qty = ExactDecimal(value: 1)
            var name = part
            let words = part.split(separator: " ", omittingEmptySubsequences: true).map(String.init)
            if words.count >= 3, words[1] == "x" || words[1] == "×", let q = decimal(words[0]) {
                qty = q; name = words[2...].joined(separator: " ")
            } else if words.count >= 3, words[words.count - 2] == "x" || words[words.count - 2] == "×", let q = decimal(words.last!) {
                qty = q; name = words[..<(words.count - 2)].joined(separator: " ")
            }
            if negative && qty.value > 0 { qty.value = -qty.value }
            return ImportedLine(fileLine: fileLine, sku: nil, name: name, category: nil, quantity: qty,
                                unitPrice: nil, discount: 0, amount: nil)
        }
        if lines.count == 1 {
            if let net { lines[0].amount = negative ? -net.magnitudeAsInt64 : net }
            if let gross { lines[0].unitPrice = lines[0].quantity.dividing(negative ? -gross.magnitudeAsInt64 : gross) }
            if let gross, let net { lines[0].discount = max(0, gross.magnitudeAsInt64 - net.magnitudeAsInt64) }
        }
        return lines
    }

    private static func decimal(_ s: String) -> ExactDecimal? {
        var s = s
        return s.withUTF8 { try? QuantityParser(preferredMark: .point, strictMark: false).parse($0) }
    }
}

extension Int64 {
    /// The absolute value (Int64.min saturates to Int64.max).
    var magnitudeAsInt64: Int64 { self == .min ? .max : Swift.abs(self) }
}
