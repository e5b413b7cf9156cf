import Testing
import Foundation
import CustomerEvents
import Ingest
import Ledger
import LedgerJSON
import POSImport

/// Bad input: rejected rows carry their file, line, column, reason and raw text; every good receipt
/// is committed; a receipt is all or nothing; whole-file problems are one readable message each.
@Suite("Rejects and unreadable files")
struct RejectTests {
    let uci = "uci_online_retail_II_head_xq2005.csv"
    var options: IngestOptions { IngestOptions(reader: POSImportOptions(dateOrder: .mdy, timeZone: "Europe/London"), defaultStore: "uk-1") }

    /// The sample's lines with `line` (1-based, the header is 1) replaced by `edit` of it.
    func edited(_ edits: [Int: (String) -> String]) -> [String] {
        var lines = Fixtures.text(uci).components(separatedBy: "\n")
        for (line, edit) in edits { lines[line - 1] = edit(lines[line - 1]) }
        return lines
    }

    /// Replaces the 4th field (Quantity) of a UCI row.
    func quantity(_ value: String) -> (String) -> String {
        { row in var f = row.components(separatedBy: ","); f[3] = value; return f.joined(separator: ",") }
    }

    @Test("an unreadable row rejects its whole receipt, each row with its line; the rest is committed; the rejects file has them all")
    func unreadableRow() throws {
        let folder = Fixtures.temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let lines = edited([4: quantity("six")])
        let path = Fixtures.write(lines.joined(separator: "\n"), to: "bad.csv", in: folder)
        let rejects = try RejectsFile(path: folder + "/rejects.jsonl")
        var seen: [RejectedRow] = []
        let t = try TestLedger()
        let s = try t.ingest([path], options) { row in
            seen.append(row)
            try? rejects.write(row)
        }
        try rejects.flush()
        #expect(s.rejectedRows == 7)
        #expect(seen.map(\.line) == Array(2...8))                  // invoice 536365 is lines 2 to 8
        #expect(seen[2].column == "Quantity" && seen[2].reason.contains("six"))
        #expect(seen.filter { $0.line != 4 }.allSatisfy { $0.column == nil && $0.reason.contains("line 4") })
        #expect(seen.map(\.rawRow) == Array(lines[1...7]))
        #expect(s.receiptsRecorded == 13)
        #expect(try t.events.filter { $0.payload["receipt"]?.stringValue == "536365" }.isEmpty)

        let jsonLines = try String(contentsOfFile: folder + "/rejects.jsonl", encoding: .utf8).split(separator: "\n")
        #expect(jsonLines.count == 7)
        let third = try #require(try JSONSerialization.jsonObject(with: Data(jsonLines[2].utf8)) as? [String: Any])
        #expect(third["file"] as? String == path)
        #expect(third["line"] as? Int == 4)
        #expect(third["column"] as? String == "Quantity")
        #expect(third["row"] as? String == lines[3])
        #expect((third["reason"] as? String)?.contains("six") == true)
        let first = try #require(try JSONSerialization.jsonObject(with: Data(jsonLines[0].utf8)) as? [String: Any])
        #expect(first["column"] is NSNull)
    }

    @Test("a receipt read cleanly that cannot be recorded (a sale with a returned line) is rejected with its raw rows")
    func unrecordableReceipt() throws {
        let folder = Fixtures.temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let lines = edited([5: quantity("-6")])
        let path = Fixtures.write(lines.joined(separator: "\n"), to: "mixed.csv", in: folder)
        var seen: [RejectedRow] = []
        let t = try TestLedger()
        let s = try t.ingest([path], options) { seen.append($0) }
        #expect(s.rejectedRows == 7 && s.receiptsRecorded == 13)
        #expect(seen.map(\.line) == Array(2...8))
        #expect(seen[0].column == "quantity")
        #expect(seen[0].reason.contains("line 5") && seen[0].reason.contains("-6"))
        #expect(seen.map(\.rawRow) == Array(lines[1...7]))
        // The customer of the refused receipt is registered with their next one.
        let c17850 = try t.events.filter { $0.recorded.customer == "uci:17850" }
        #expect(c17850.first?.type == "CustomerRegistered" && c17850.count > 1)
    }

    @Test("--max-rejects: stops at the first rejected row past the limit; the receipts before it are committed")
    func maxRejects() throws {
        let folder = Fixtures.temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let lines = edited([30: quantity("x"), 60: quantity("y")])
        let path = Fixtures.write(lines.joined(separator: "\n"), to: "bad.csv", in: folder)
        var limited = options
        limited.maxRejects = 0
        let t = try TestLedger()
        let s = try t.ingest([path], limited)
        #expect(s.stoppedAtMaxRejects)
        #expect(s.rejectedRows == 1)
        #expect(s.receiptsRecorded == 5)     // 536365, 536366, 536368, 536367, 536369 come before 536370 (lines 28–47)
        #expect(try t.events.filter { $0.type == "PurchaseRecorded" }.count == 5)
        limited.maxRejects = 40
        let t2 = try TestLedger()
        let all = try t2.ingest([path], limited)
        #expect(!all.stoppedAtMaxRejects && all.rejectedRows == 20 + 16 && all.receiptsRecorded == 12)
    }

    @Test("empty, binary, undecodable, truncated and unknown files: one readable message each; the other files are ingested")
    func unreadableFiles() throws {
        let folder = Fixtures.temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let empty = Fixtures.write("", to: "empty.csv", in: folder)
        let binary = Fixtures.write([0x50, 0x4B, 0x03, 0x04, 0x14, 0x00, 0x06, 0x00, 0x08, 0x00, 0x00, 0x00, 0x21, 0x00] + [UInt8](repeating: 0, count: 64),
                                    to: "workbook.csv", in: folder)
        let latin1 = Fixtures.write(Array("Invoice,StockCode,Description,Quantity,InvoiceDate,Price,Customer ID,Country\n536365,85123A,Caf".utf8) + [0xE9]
                                    + Array(",6,12/1/2010 08:26,2.55,17850,United Kingdom\n".utf8), to: "latin1.csv", in: folder)
        let unknown = Fixtures.write("Foo,Bar,Baz\n1,2,3\n", to: "unknown.csv", in: folder)
        let text = Fixtures.text(uci)
        let truncated = Fixtures.write(text + "\n536999,85123A,\"WHITE HANGING", to: "cut.csv", in: folder)
        let missing = folder + "/missing.csv"
        let t = try TestLedger()
        let s = try t.ingest([empty, binary, latin1, unknown, truncated, missing, Fixtures.sample(uci)], options)
        #expect(s.fileErrors.map(\.file) == [empty, binary, latin1, unknown, truncated, missing])
        let messages = s.fileErrors.map(\.message)
        #expect(messages[0].contains("is empty"))
        #expect(messages[1].contains("not a text (CSV) file"))
        #expect(messages[2].contains("not valid") && messages[2].contains("encoding"))
        #expect(messages[3].contains("matches no known export"))
        #expect(messages[4].contains("cut off") && messages[4].contains("line 101"))
        #expect(messages[5].contains("cannot open"))
        // The truncated copy's receipts came in before its error, except the one being read when the
        // file ended (it may be incomplete); the full file then added only that one.
        #expect(s.receiptsRecorded == 14 && s.receiptsAlreadyPresent == 13)
        #expect(s.rejectedRows == 0)
    }

    @Test("no store in the export and none given: the ingest stops before recording anything, asking for --store")
    func storeRequired() throws {
        let t = try TestLedger()
        var noStore = options
        noStore.defaultStore = nil
        #expect {
            try t.ingest([Fixtures.sample(uci)], noStore)
        } throws: { error in
            guard case IngestError.storeRequired(_, let line) = error else { return false }
            return line == 2 && "\(error)".contains("--store")
        }
        #expect(try t.ledger.ledger.head().sequence == 0)
    }

    @Test("customers known by contact details need the master key: the ingest stops, asking for it")
    func masterKeyRequired() throws {
        let t = try TestLedger()
        #expect {
            try t.ingest([Fixtures.sample("shopify_orders_export_2021_kidsliving_REDACTED.csv")], IngestOptions(defaultStore: "s"), withKey: false)
        } throws: { error in
            guard case IngestError.masterKeyRequired = error else { return false }
            return "\(error)".contains("--master-key-file")
        }
        #expect(try t.ledger.ledger.head().sequence == 0)
        // UCI customers carry no personal data: no key needed.
        let s = try t.ingest([Fixtures.sample(uci)], options, withKey: false)
        #expect(s.receiptsRecorded == 14)
    }
}
