import Ingest
import POSImport

/// The human summary of an ingest, for an 80-column terminal.
enum IngestReport {
    static func text(_ s: IngestSummary, rejectsFile: String?) -> String {
        let rate = s.seconds > 0 ? Double(s.rowsRead) / s.seconds : 0
        let files = s.files.count == 1 ? "1 file" : "\(s.files.count) files"
        var lines: [String] = []
        lines.append("\(s.dryRun ? "Dry run (nothing written): read" : "Ingested") \(files) in \(Format.fixed(s.seconds, 2)) s (\(Format.grouped(Int(rate))) rows/s)")
        var table = TextTable(header: ["", "count", "detail"], rightAligned: [1])
        let g = Format.grouped
        let would = s.dryRun ? "would be " : ""
        table.rows = [
            ["rows read", g(s.rowsRead), Format.bytes(s.bytesRead)],
            ["receipts", g(s.receipts), "\(g(s.sales)) sales, \(g(s.returns)) returns, \(g(s.lines)) lines"],
            ["recorded", g(s.receiptsRecorded), "receipts \(would)new; \(g(s.eventsAppended)) events \(would)appended"],
            ["already there", g(s.receiptsAlreadyPresent), "receipts; \(g(s.duplicatesSkipped)) duplicate events skipped"],
            ["customers", g(s.customersRegistered), "\(would)registered; \(g(s.customersAlreadyKnown)) already known"],
            ["anonymous", g(s.anonymousReceipts), "receipts (\(g(s.anonymousRows)) rows), not recorded"],
        ]
        if s.unitemizedReceipts > 0 { table.rows.append(["unitemized", g(s.unitemizedReceipts), "receipts as one line (no exact item detail)"]) }
        if s.erasedCustomers > 0 { table.rows.append(["erased", g(s.erasedCustomers), "erased customers, not registered again"]) }
        table.rows.append(["skipped", g(s.skippedReceipts), "receipts left out on purpose (voided…)"])
        table.rows.append(["rejected", g(s.rejectedRows), s.rejectedRows == 0 ? "rows" : "rows" + (rejectsFile.map { ", written to \($0)" } ?? "")])
        for (currency, minor) in s.totals.sorted(by: { $0.key < $1.key }) {
            table.rows.append(["total \(currency)", money(minor, currency), "receipts read, returns negative"])
        }
        lines.append(table.render())
        if s.receiptsRepeated > 0 {
            let ids = s.repeatedReceipts.joined(separator: ", ") + (s.receiptsRepeated > s.repeatedReceipts.count ? ", …" : "")
            let receipts = s.receiptsRepeated == 1 ? "receipt" : "receipts"
            lines.append("Incomplete: \(g(s.receiptsRepeated)) \(receipts) came back after other receipts' rows (\(ids)): only "
                         + "the first rows were recorded, under the receipt id; the later rows were not, and ingesting the export "
                         + "again will not add them. A receipt's rows must be together: sort exports by the receipt column "
                         + "before ingesting them (docs/pos-import.md).")
        }
        if s.stoppedAtMaxRejects { lines.append("Stopped early: more rows were rejected than --max-rejects allows.") }
        return lines.joined(separator: "\n")
    }

    /// Minor units as a decimal amount in the currency's own digits: 1234567 GBP → "12,345.67".
    static func money(_ minor: Int64, _ currency: String) -> String {
        let digits = Currency.minorUnitDigits(currency) ?? 2
        var divisor: Int64 = 1
        for _ in 0..<digits { divisor *= 10 }
        let magnitude = minor.magnitude
        let whole = Format.grouped(Int(magnitude / UInt64(divisor)))
        var frac = digits > 0 ? String(magnitude % UInt64(divisor)) : ""
        while frac.count < digits { frac = "0" + frac }
        return (minor < 0 ? "-" : "") + whole + (digits > 0 ? "." + frac : "")
    }
}
