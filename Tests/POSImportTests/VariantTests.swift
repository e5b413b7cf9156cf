import Testing
import TestSupport
import Foundation
import Ledger
@testable import POSImport

/// Variants of the samples built here — other line ends, column orders, delimiters, decimal marks,
/// encodings and headers — must give the same receipts.
@Suite("Variants of the samples")
struct VariantTests {
    let kidsliving = "shopify_orders_export_2021_kidsliving_REDACTED.csv"
    let squareJuly = "square_items_detail_2026-07-18_sunrise_social_club_REDACTED.csv"
    let squareMay = "square_items_detail_2026-05_sunrise_social_club_REDACTED.csv"
    let uci = "uci_online_retail_II_head_xq2005.csv"
    let uciOptions = POSImportOptions(dateOrder: .mdy, timeZone: "Europe/London")

    @Test("CRLF line ends give the same receipts, on the same lines")
    func crlf() throws {
        let folder = Fixtures.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        for name in [kidsliving, squareMay, uci] {
            let text = String(decoding: Fixtures.bytes(name), as: UTF8.self)
            let crlf = text.replacing("\r\n", with: "\n").replacing("\n", with: "\r\n")
            #expect(crlf.contains("\r\n"))
            let path = Fixtures.write(crlf, to: name, in: folder)
            let options = name == uci ? uciOptions : POSImportOptions()
            let original = try ReadResult(path: Fixtures.sample(name), options: options)
            let variant = try ReadResult(path: path, options: options)
            #expect(variant.receipts == original.receipts)
            #expect(variant.skipped.map(\.fileLines) == original.skipped.map(\.fileLines))
        }
    }

    @Test("shuffled columns and every field quoted: columns are matched by name")
    func shuffledColumns() throws {
        let folder = Fixtures.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        for name in [kidsliving, squareJuly, uci] {
            let rows = try VariantBuilders.records(Fixtures.sample(name))
            var generator = SplitMix64(seed: 42)
            let order = Array(rows[0].indices).shuffled(using: &generator)
            #expect(order != Array(rows[0].indices))
            let shuffled = rows.map { row in order.map { row[$0] } }
            let path = Fixtures.write(TestText.quotedCSV(shuffled), to: name, in: folder)
            let options = name == uci ? uciOptions : POSImportOptions()
            let original = try ReadResult(path: Fixtures.sample(name), options: options)
            let variant = try ReadResult(path: path, options: options)
            #expect(variant.comparable == original.comparable)
            #expect(variant.receipts.count == original.receipts.count)
        }
    }

    @Test("semicolons with decimal commas give the same receipts")
    func semicolonsAndDecimalCommas() throws {
        let folder = Fixtures.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        // UCI: Price 2.55 → 2,55. Square: $1,149.00-style amounts → 1.149,00 $, Qty 1.0 → 1,0.
        var uciRows = try VariantBuilders.records(Fixtures.sample(uci))
        let price = try #require(uciRows[0].firstIndex(of: "Price"))
        for i in 1..<uciRows.count { uciRows[i][price] = uciRows[i][price].replacing(".", with: ",") }
        let uciPath = Fixtures.write(TestText.quotedCSV(uciRows, delimiter: ";"), to: "uci.csv", in: folder)
        let uciVariant = try ReadResult(path: uciPath, options: uciOptions)
        #expect(uciVariant.receipts == (try ReadResult(path: Fixtures.sample(uci), options: uciOptions)).receipts)

        var squareRows = try VariantBuilders.records(Fixtures.sample(squareMay))
        let numeric = ["Qty", "Gross Sales", "Discounts", "Net Sales", "Tax"].compactMap { squareRows[0].firstIndex(of: $0) }
        for i in 1..<squareRows.count {
            for c in numeric {
                var v = squareRows[i][c].replacing(",", with: "\u{1}").replacing(".", with: ",").replacing("\u{1}", with: ".")
                if v.hasPrefix("-$") { v = "-" + v.dropFirst(2) + " $" } else if v.hasPrefix("$") { v = v.dropFirst() + " $" }
                squareRows[i][c] = v
            }
        }
        #expect(squareRows[1][numeric[1]] == "2,00 $")
        let squarePath = Fixtures.write(TestText.quotedCSV(squareRows, delimiter: ";"), to: "square.csv", in: folder)
        let squareVariant = try ReadResult(path: squarePath)
        let squareOriginal = try ReadResult(path: Fixtures.sample(squareMay))
        #expect(squareVariant.rejected == [])
        #expect(squareVariant.receipts == squareOriginal.receipts)
    }

    @Test("a truncated last line: the receipts before it are the same; the cut row is rejected with its line")
    func truncatedLastLine() throws {
        let folder = Fixtures.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let bytes = Fixtures.bytes(uci)   // 99 data rows, no final line break: the last row is line 100
        let lastLineStart = try #require(bytes.lastIndex(of: 10)) + 1
        let cut = Array(bytes[..<(lastLineStart + 20)])
        let path = Fixtures.write(cut, to: "cut.csv", in: folder)
        let variant = try ReadResult(path: path, options: uciOptions)
        let original = try ReadResult(path: Fixtures.sample(uci), options: uciOptions)
        // The last invoice is rejected whole, every row reported.
        let last = try #require(original.receipts.last)
        #expect(variant.receipts == Array(original.receipts.dropLast()))
        #expect(variant.rejected.map(\.line) == last.fileLines)
        let cutRow = try #require(variant.rejected.last)
        #expect(cutRow.line == 100)
        #expect(cutRow.reason.contains("has 3 fields where the header has 8"))
        #expect(cutRow.rawRow == String(decoding: bytes[lastLineStart..<(lastLineStart + 20)], as: UTF8.self))
        #expect(variant.rejected.first?.reason.contains("line 100") == true)
    }

    @Test("a file cut inside a quoted field: the receipts before it, then a truncated-file error")
    func truncatedInsideQuotes() throws {
        let folder = Fixtures.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let text = String(decoding: Fixtures.bytes(kidsliving), as: UTF8.self)
        // Cut the file just after the opening quote of the last row's "Note Attributes".
        let lastRow = try #require(text.range(of: "\n#13568,"))
        let quote = try #require(text[lastRow.upperBound...].range(of: ",\""))
        let path = Fixtures.write(String(text[..<quote.upperBound]) + "REDAC", to: "cut.csv", in: folder)
        let reader = try POSFileReader(path: path)
        var receipts: [ImportedReceipt] = []
        do {
            while let record = try reader.next() {
                if case .receipt(let r) = record { receipts.append(r) }
            }
            Issue.record("no error at the end of a file cut inside quotes")
        } catch {
            #expect(error == .truncatedFile(path: path, quoteOpenedOnLine: 102))
            #expect(error.description.contains("cut off"))
        }
        let original = try ReadResult(path: Fixtures.sample(kidsliving))
        // The receipt being read when the file ended (#13567) is not yielded: it may be incomplete.
        #expect(receipts == Array(original.receipts.dropLast(2)))
    }

    @Test("Square rows in time order, saved as UTF-16: the refund still finds its payment, read after it")
    func squareAscendingUTF16() throws {
        let folder = Fixtures.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let rows = try VariantBuilders.records(Fixtures.sample(squareMay))
        let ascending = [rows[0]] + rows.dropFirst().reversed()
        let bytes = TestText.encode(TestText.quotedCSV(ascending), to: "UTF-16")
        #expect(bytes.starts(with: [0xFF, 0xFE]) || bytes.starts(with: [0xFE, 0xFF]))
        let path = Fixtures.write(bytes, to: "ascending.csv", in: folder)
        let reader = try POSFileReader(path: path)
        #expect(reader.encoding == .utf16)
        let r = try ReadResult(path: path)
        #expect(r.receipts.count == 163 && r.rejected.isEmpty)
        let refund = try #require(r.receipts.first { $0.kind == .refund })
        #expect(refund.originalReceiptId == "SD3kVYvRmMtV2lRIY3TNgHxOxtRZY")
        let payment = try #require(r.receipts.firstIndex { $0.receiptId == "SD3kVYvRmMtV2lRIY3TNgHxOxtRZY" })
        #expect(payment < r.receipts.firstIndex(of: refund)!)
        #expect(r.totals == ["USD": 187_328])
    }

    @Test("GB18030 with Chinese headers, read through a TOML mapping file")
    func gb18030Mapping() throws {
        let folder = Fixtures.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        // The UCI II sample rewritten as a Chinese POS export: 单号,时间,会员卡号,手机号,商品名称,数量,金额,门店,收银员,类型
        let rows = try VariantBuilders.records(Fixtures.sample(uci))
        var text = "单号,时间,会员卡号,手机号,商品名称,数量,金额,门店,收银员,类型\n"
        for row in rows.dropFirst() {
            let (invoice, description, qty, date, price, customer) = (row[0], row[2], row[3], row[4], row[5], row[6])
            let amount = try #require(MoneyParser(minorDigits: 2).minorUnits(price)).multipliedReportingOverflow(by: Int64(qty)!).partialValue
            text += "\(invoice),\(date),\(customer),138\(customer)0000,\"\(description.trimmingCharacters(in: .whitespaces))，礼品\",\(qty),\(amount / 100).\(String(format: "%02d", amount % 100)),上海一店,张伟,销售\n"
        }
        text += "TH536365,12/1/2010 10:02,17850,138178500000,退货：白色挂心灯座,-2,-5.10,上海一店,李娜,退货\n"
        let bytes = TestText.encode(text, to: "GB18030")
        #expect(EncodingSniffer.firstInvalidUTF8(bytes, complete: true) != nil)   // really not UTF-8
        let path = Fixtures.write(bytes, to: "chinese-pos.csv", in: folder)
        let mappingPath = Fixtures.write("""
            name = "shanghai-pos"
            currency = "CNY"
            time_zone = "Asia/Shanghai"
            date_format = "M/D/YYYY HH:mm"

            [columns]
            receipt_id = "单号"
            date_time = "时间"
            customer_id = "会员卡号"
            customer_phone = "手机号"
            item_name = "商品名称"
            quantity = "数量"
            line_amount = "金额"
            store = "门店"
            cashier = "收银员"
            type = "类型"

            [returns]
            type_values = ["退货"]
            """, to: "shanghai.toml", in: folder)
        let mapping = try POSMapping.load(path: mappingPath)
        let reader = try POSFileReader(path: path, options: POSImportOptions(mapping: mapping))
        #expect(reader.encoding == .gb18030)
        #expect(reader.profileName == "mapping:shanghai-pos")
        var variant: [ImportedReceipt] = []
        while let record = try reader.next() {
            guard case .receipt(let r) = record else { Issue.record("\(record)"); continue }
            variant.append(r)
        }
        let original = try ReadResult(path: Fixtures.sample(uci), options: uciOptions).receipts
        #expect(variant.count == original.count + 1)
        for (v, o) in zip(variant, original) {
            #expect(v.receiptId == o.receiptId && v.kind == .sale && v.total == o.total && v.currency == "CNY")
            #expect(v.lines.map(\.quantity) == o.lines.map(\.quantity))
            #expect(v.lines.map(\.amount) == o.lines.map(\.amount))
            #expect(v.lines.map(\.unitPrice) == o.lines.map(\.unitPrice))
            #expect(v.lines.map(\.name) == o.lines.map { $0.name + "，礼品" })
            #expect(v.customer?.externalId == o.customer?.externalId)
            #expect(v.customer?.phone == "138\(o.customer!.externalId)0000")
            #expect(v.store == "上海一店" && v.cashier == "张伟")
            #expect(v.occurredAt.offsetMinutes == 480)
            #expect(v.occurredAt.microseconds == o.occurredAt.microseconds - 8 * 3_600_000_000)
        }
        let refund = try #require(variant.last)
        #expect(refund.kind == .refund && refund.receiptId == "TH536365" && refund.total == -510)
        #expect(refund.lines.first?.name == "退货：白色挂心灯座" && refund.cashier == "李娜")
        #expect(refund.occurredAt == Timestamp(iso8601: "2010-12-01T10:02:00+08:00"))
    }

    @Test("the same mapping as JSON reads the same")
    func jsonMapping() throws {
        let folder = Fixtures.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = Fixtures.write("""
            {"name": "till", "currency": "EUR", "time_zone": "Europe/Berlin", "delimiter": ";",
             "columns": {"receipt_id": "Bon", "date": "Datum", "time": "Zeit", "item_name": "Artikel",
                         "quantity": "Menge", "unit_price": "Preis", "discount": "Rabatt"},
             "money": {"decimal_mark": "comma", "negative_parentheses": false},
             "returns": {"receipt_id_prefix": "R-"}}
            """, to: "till.json", in: folder)
        let mapping = try POSMapping.load(path: path)
        let csv = Fixtures.write("""
            Bon;Datum;Zeit;Artikel;Menge;Preis;Rabatt
            B-1;31.12.2025;14:05;Brezel;2;1,20;0,40
            B-1;31.12.2025;14:05;Kaffee;1;2,50;
            R-7;02.01.2026;09:00;Brezel;1;1,20;
            B-2;02.01.2026;09:30;Kaffee;1;(2,50);
            """, to: "till.csv", in: folder)
        let r = try ReadResult(path: csv, options: POSImportOptions(mapping: mapping))
        #expect(r.receipts.map(\.receiptId) == ["B-1", "R-7"])
        #expect(r.receipts[0].total == 450 && r.receipts[0].lines[0].amount == 200 && r.receipts[0].lines[0].discount == 40)
        #expect(r.receipts[0].occurredAt == Timestamp(iso8601: "2025-12-31T14:05:00+01:00"))
        #expect(r.receipts[1].kind == .refund && r.receipts[1].total == -120 && r.receipts[1].lines[0].quantity == ExactDecimal(value: -1))
        #expect(r.rejected.map(\.line) == [5])
        #expect(r.rejected.first?.column == "Preis")
    }
}

