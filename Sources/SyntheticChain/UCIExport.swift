import CustomerEvents
import Ledger
import LedgerJSON

/// Writes the chain's purchases and returns as a UCI Online Retail II export (one of the real
/// POS formats the ingest reads): `Invoice,StockCode,Description,Quantity,InvoiceDate,Price,Customer ID,Country`,
/// returns as invoices starting with `C` with negative quantities, dates `M/D/YYYY HH:MM`.
public struct UCIExportWriter {
    public static let header = "Invoice,StockCode,Description,Quantity,InvoiceDate,Price,Customer ID,Country\r\n"

    public init() {}

    /// The CSV rows for one event (none for events that are not purchases or returns).
    public func rows(for event: JSONValue) -> [UInt8] {
        guard let type = event["type"]?.stringValue, type == "PurchaseRecorded" || type == "ReturnRecorded",
              let payload = event["payload"], let customer = event["customer"]?.stringValue,
              let at = event["occurredAt"]?.stringValue, let time = Timestamp(iso8601: at) else { return [] }
        let local = time.microseconds / 1_000_000 + Int64(time.offsetMinutes) * 60
        let (y, m, d) = Timestamp.civil(fromDays: local / 86_400)
        let secs = local % 86_400
        let hh = secs / 3600, mm = secs / 60 % 60
        let date = "\(m)/\(d)/\(y) \(hh < 10 ? "0" : "")\(hh):\(mm < 10 ? "0" : "")\(mm)"
        let customerNumber = String(customer.drop(while: { !$0.isNumber }).drop(while: { $0 == "0" }))
        var out = ""
        if type == "PurchaseRecorded", case .array(let lines)? = payload["lines"], let receipt = payload["receipt"]?.stringValue {
            for line in lines {
                let qty = Int(line["quantity"].flatMap { if case .number(let n) = $0 { return n } else { return nil } } ?? "1") ?? 1
                let price = (try? Money(json: line["unitPrice"] ?? .null)) ?? Money(minor: 0, currency: "GBP")
                out += "\(receipt.dropFirst()),\(line["sku"]?.stringValue ?? ""),\(csv(line["name"]?.stringValue ?? "")),\(qty),\(date),\(decimal(price.minor)),\(customerNumber),China\r\n"
            }
        } else if case .array(let lines)? = payload["lines"], let original = payload["originalReceipt"]?.stringValue {
            for line in lines {
                let qty = Int(line["quantity"].flatMap { if case .number(let n) = $0 { return n } else { return nil } } ?? "1") ?? 1
                let refund = (try? Money(json: line["refund"] ?? .null)) ?? Money(minor: 0, currency: "GBP")
                out += "C\(original.dropFirst()),\(line["sku"]?.stringValue ?? ""),,\(-qty),\(date),\(decimal(refund.minor / Int64(max(1, qty)))),\(customerNumber),China\r\n"
            }
        }
        return Array(out.utf8)
    }

    private func csv(_ s: String) -> String {
        s.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" }) ? "\"" + s.split(separator: "\"", omittingEmptySubsequences: false).joined(separator: "\"\"") + "\"" : s
    }

    private func decimal(_ minor: Int64) -> String {
        let f = abs(minor) % 100
        return (minor < 0 ? "-" : "") + String(abs(minor) / 100) + "." + (f < 10 ? "0" : "") + String(f)
    }
}
