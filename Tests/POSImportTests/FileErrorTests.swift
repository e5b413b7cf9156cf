import Testing
import Foundation
@testable import POSImport

/// Files that cannot be read as an export at all: each a readable error, never a crash.
@Suite("Unreadable files")
struct FileErrorTests {
    func open(_ bytes: [UInt8], options: POSImportOptions = POSImportOptions()) -> POSImportError? {
        let folder = Fixtures.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = Fixtures.write(bytes, to: "f.csv", in: folder)
        do {
            let reader = try POSFileReader(path: path, options: options)
            while try reader.next() != nil {}
            return nil
        } catch {
            return error
        }
    }

    func open(_ text: String, options: POSImportOptions = POSImportOptions()) -> POSImportError? {
        open(Array(text.utf8), options: options)
    }

    @Test("a missing file")
    func missing() {
        #expect(throws: POSImportError.self) { _ = try POSFileReader(path: "/nonexistent/orders.csv") }
        do { _ = try POSFileReader(path: "/nonexistent/orders.csv") } catch {
            guard case .cannotOpen(_, let reason) = error else { Issue.record("\(error)"); return }
            #expect(reason.contains("No such file"))
        }
    }

    @Test("empty files: no bytes, only a byte-order mark, only blank lines")
    func empty() {
        for bytes: [UInt8] in [[], [0xEF, 0xBB, 0xBF], Array("\n\r\n  \n".utf8)] {
            guard case .emptyFile = open(bytes) else { Issue.record("\(bytes) not reported empty"); continue }
        }
    }

    @Test("binary files: an xlsx (zip) workbook, NUL bytes, control bytes")
    func binary() {
        var zip: [UInt8] = [0x50, 0x4B, 0x03, 0x04]
        zip += (0..<200).map { UInt8(truncatingIfNeeded: $0 &* 37) }
        var png: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 0x0D]
        png += Array("IHDR".utf8)
        let controls = (0..<400).map { UInt8(1 + $0 % 8) }
        for bytes in [zip, png, controls] {
            let error = open(bytes)
            guard case .binaryFile = error else { Issue.record("\(String(describing: error))"); continue }
            #expect(error!.description.contains("not a text (CSV) file"))
        }
    }

    @Test("bytes that are neither UTF-8 nor GB18030")
    func wrongEncoding() {
        let bytes: [UInt8] = Array("Name,Email\n#1,".utf8) + [0xFF, 0xFE, 0x80, 0xFF, 0x80, 0x0A]
        guard case .undecodableText(_, _, let offset) = open(bytes) else { Issue.record("not undecodable"); return }
        #expect(offset == 14)
    }

    @Test("invalid UTF-8 later in a file forced to UTF-8 rejects only that row")
    func invalidUTF8Row() throws {
        let folder = Fixtures.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let good = "Invoice,StockCode,Description,Quantity,InvoiceDate,Price,Customer ID,Country\n1,A,CUP,1,2010-12-01 08:00,1.00,,UK\n"
        let bytes = Array(good.utf8) + Array("2,B,".utf8) + [0xC3, 0x28] + Array(",1,2010-12-01 09:00,1.00,,UK\n".utf8)
        let path = Fixtures.write(bytes, to: "f.csv", in: folder)
        let r = try ReadResult(path: path, options: POSImportOptions(encoding: .utf8, timeZone: "Europe/London"))
        #expect(r.receipts.count == 1)
        #expect(r.rejected.map(\.line) == [3])
        #expect(r.rejected.first?.column == "Description")
    }

    @Test("a header with no known columns is one clear error")
    func unknownHeader() {
        let error = open("foo,bar,baz\n1,2,3\n")
        #expect(error == .unrecognizedHeader(path: error.map(path) ?? "", columns: ["foo", "bar", "baz"]))
        #expect(error?.description.contains("mapping file") == true)
    }

    @Test("a header close to a profile names the missing columns")
    func missingColumns() {
        let error = open("Invoice,StockCode,Description,Quantity,Price\n1,A,B,1,2.00\n")
        guard case .missingColumns(_, let profile, let missing) = error else { Issue.record("\(String(describing: error))"); return }
        #expect(profile == "uci-online-retail")
        #expect(missing == ["InvoiceDate"])
    }

    @Test("dates that contradict each other on day/month order")
    func inconsistentDates() {
        let text = """
            Invoice,StockCode,Description,Quantity,InvoiceDate,Price,Customer ID,Country
            1,A,CUP,1,13/01/2011 08:00,1.00,,UK
            2,A,CUP,1,01/13/2011 08:00,1.00,,UK
            """
        guard case .inconsistentDateOrder(_, _, let d, let m) = open(text, options: POSImportOptions(timeZone: "UTC")) else {
            Issue.record("not inconsistent"); return
        }
        #expect(d == "13/01/2011 08:00" && m == "01/13/2011 08:00")
    }

    @Test("one date above 12 anywhere in the file settles the order for every row")
    func orderFromWholeFile() throws {
        let folder = Fixtures.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        var text = "Invoice,StockCode,Description,Quantity,InvoiceDate,Price,Customer ID,Country\n"
        for i in 1...500 { text += "\(i),A,CUP,1,01/02/2011 08:00,1.00,,UK\n" }
        text += "501,A,CUP,1,25/02/2011 08:00,1.00,,UK\n"
        let path = Fixtures.write(text, to: "f.csv", in: folder)
        let reader = try POSFileReader(path: path, options: POSImportOptions(timeZone: "UTC"))
        #expect(reader.dateOrder == .dmy)
        guard case .receipt(let first)? = try reader.next() else { Issue.record("no receipt"); return }
        #expect(first.occurredAt.iso8601 == "2011-02-01T08:00:00Z")
    }

    @Test("unknown time zone and currency options, and a currency the export never states")
    func badOptions() {
        let uci = "Invoice,StockCode,Description,Quantity,InvoiceDate,Price,Customer ID,Country\n1,A,B,1,2010-12-01 08:00,1.00,,UK\n"
        #expect(open(uci, options: POSImportOptions(timeZone: "Mars/Base")) == .unknownTimeZone("Mars/Base"))
        #expect(open(uci, options: POSImportOptions(timeZone: "UTC", currency: "XYZ")) == .unknownCurrency("XYZ"))
        let loyverse = "Date,Receipt number,Receipt type,Total collected\n7/28/26 1:33 PM,4-1,Sale,90.00\n"
        guard case .currencyRequired(_, "loyverse") = open(loyverse, options: POSImportOptions(timeZone: "Asia/Bangkok")) else {
            Issue.record("currency not required"); return
        }
    }

    @Test("a mapping file with mistakes says which key")
    func badMapping() {
        let folder = Fixtures.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let cases: [(String, String, String)] = [
            ("a.toml", "name = \"x\"\ncurrency = \"CNY\"\n", "missing key 'columns'"),
            ("b.toml", "name = \"x\"\ncurrency = \"CNY\"\n[columns]\nreceipt_id = \"单号\"\n", "date_time"),
            ("c.toml", "name = \"x\"\ncurrency = \"RMB\"\n[columns]\nreceipt_id = \"a\"\ndate_time = \"b\"\ntotal = \"c\"\n", "ISO 4217"),
            ("d.toml", "name = \"x\"\ncurrency = \"CNY\"\ndate_format = \"HH:mm\"\n[columns]\nreceipt_id = \"a\"\ndate_time = \"b\"\ntotal = \"c\"\n", "date_format"),
            ("e.toml", "name = \"x\" currency", "not valid TOML"),
            ("f.json", "{\"name\": 3}", "'name'"),
        ]
        for (file, text, expected) in cases {
            let path = Fixtures.write(text, to: file, in: folder)
            do {
                _ = try POSMapping.load(path: path)
                Issue.record("\(file) accepted")
            } catch {
                guard case .invalidMapping(_, let reason) = error else { Issue.record("\(error)"); continue }
                #expect(reason.contains(expected), "\(file): \(reason)")
            }
        }
    }

    private func path(_ error: POSImportError) -> String {
        if case .unrecognizedHeader(let path, _) = error { return path }
        return ""
    }
}
