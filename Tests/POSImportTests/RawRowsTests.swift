import Testing
import TestSupport
import Foundation
import Ledger
@testable import POSImport

/// The raw rows of the receipt just read, for a caller that refuses it after reading it.
@Suite("Raw rows of the last receipt")
struct RawRowsTests {
    @Test("each receipt's rows as they stand in the file, while it is the last one read")
    func rawRows() throws {
        let path = Fixtures.sample("uci_online_retail_II_head_xq2005.csv")
        let text = String(decoding: Fixtures.bytes("uci_online_retail_II_head_xq2005.csv"), as: UTF8.self)
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        let reader = try POSFileReader(path: path, options: POSImportOptions(dateOrder: .mdy, timeZone: "Europe/London"))
        var previous: ImportedReceipt?
        var count = 0
        while let record = try reader.next() {
            guard case .receipt(let r) = record else { Issue.record("\(record)"); continue }
            #expect(reader.rawRows(of: r) == r.fileLines.map { lines[$0 - 1] })
            if let previous { #expect(reader.rawRows(of: previous) == []) }
            previous = r
            count += 1
        }
        #expect(count == 14)
    }

    @Test("a refunded Shopify order: the sale and its refund both give the order's rows")
    func refundedTwin() throws {
        let folder = Fixtures.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        var rows = try VariantBuilders.records(Fixtures.sample("shopify_orders_export_2021_kidsliving_REDACTED.csv"))
        let status = try #require(rows[0].firstIndex(of: "Financial Status"))
        rows[1][status] = "refunded"
        let path = Fixtures.write(TestText.quotedCSV(rows), to: "refunded.csv", in: folder)
        let reader = try POSFileReader(path: path)
        guard case .receipt(let sale)? = try reader.next(), case .receipt(let refund)? = try reader.next() else {
            Issue.record("expected the sale and its refund first"); return
        }
        #expect(refund.kind == .refund && sale.fileLines == refund.fileLines)
        let raw = reader.rawRows(of: refund)
        #expect(raw.count == 1 && raw[0].hasPrefix("\"#13519\"") && raw[0].contains("\"refunded\""))
        #expect(reader.rawRows(of: sale) == raw)
    }
}
