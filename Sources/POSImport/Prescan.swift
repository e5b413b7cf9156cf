/// Square item refunds: payment id → the transaction id of the payment it refunds.
struct RefundLinks {
    var originals: [String: String] = [:]
}

/// A quick first pass over a file, for what only the whole file can tell: the day/month order of
/// its dates (a part above 12 anywhere settles it), and which Square payments are refunded.
/// It stops as soon as it knows what it was asked.
struct Prescan {
    var dayFirstExample: String?
    var monthFirstExample: String?
    var ambiguousExample: String?
    var links = RefundLinks()

    /// Scans the file `openInput` reads (decoded as the main pass decodes it).
    static func run(path: String, openInput: () throws(POSImportError) -> ByteInput, delimiter: UInt8,
                    columns: BoundColumns, wantOrder: Bool, wantRefundLinks: Bool) throws(POSImportError) -> Prescan {
        let csv = CSVReader(input: try openInput(), path: path, delimiter: delimiter)
        var scan = Prescan()
        _ = try csv.next()   // the header
        let dateIndex = columns[.dateTime] ?? columns[.date]
        let typeIndex = columns[.type], paymentIndex = columns[.paymentReference], idIndex = columns[.receiptId]
        var refunded: Set<String> = []
        var pendingOrder = wantOrder
        while try csv.next() {
            if pendingOrder, let d = dateIndex, d < csv.fieldCount {
                let hint = csv.withField(d) { DateTimeParser.orderHint($0) }
                switch hint {
                case .dayFirst where scan.dayFirstExample == nil: scan.dayFirstExample = csv.field(d)
                case .monthFirst where scan.monthFirstExample == nil: scan.monthFirstExample = csv.field(d)
                case .ambiguous where scan.ambiguousExample == nil: scan.ambiguousExample = csv.field(d)
                default: break
                }
                if scan.dayFirstExample != nil && scan.monthFirstExample != nil { pendingOrder = false }
            }
            if wantRefundLinks, let t = typeIndex, let p = paymentIndex, let i = idIndex,
               max(t, p, i) < csv.fieldCount {
                let payment = csv.field(p)
                if payment.isEmpty { continue }
                if csv.field(t).lowercased() == "refund" {
                    refunded.insert(payment)
                } else if refunded.contains(payment) {
                    scan.links.originals[payment] = csv.field(i)
                }
            }
            if !pendingOrder && !wantRefundLinks { break }
        }
        // Payments before their refunds (files in time order): a second look for just those ids.
        if wantRefundLinks && scan.links.originals.count < refunded.count {
            let again = CSVReader(input: try openInput(), path: path, delimiter: delimiter)
            _ = try again.next()
            while try again.next() {
                guard let t = typeIndex, let p = paymentIndex, let i = idIndex, max(t, p, i) < again.fieldCount else { continue }
                let payment = again.field(p)
                if refunded.contains(payment), again.field(t).lowercased() != "refund", scan.links.originals[payment] == nil {
                    scan.links.originals[payment] = again.field(i)
                }
            }
        }
        return scan
    }
}
