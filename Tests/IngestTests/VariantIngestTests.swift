import Testing
import TestSupport
import Foundation
import CustomerEvents
import Ingest
import Ledger
import LedgerJSON
import POSImport

/// Variants of the samples — other line ends, column orders, delimiters, encodings and headers —
/// must put the same events in the ledger.
@Suite("Variants give the same events")
struct VariantIngestTests {
    let kidsliving = "shopify_orders_export_2021_kidsliving_REDACTED.csv"
    let squareMay = "square_items_detail_2026-05_sunrise_social_club_REDACTED.csv"
    let uci = "uci_online_retail_II_head_xq2005.csv"
    var uciOptions: IngestOptions { IngestOptions(reader: POSImportOptions(dateOrder: .mdy, timeZone: "Europe/London"), defaultStore: "uk-1") }

    func options(_ name: String) -> IngestOptions {
        name == uci ? uciOptions : IngestOptions(defaultStore: "store-1")
    }

    /// The events of `path` ingested into a fresh ledger under `key`.
    func shapes(_ path: String, _ options: IngestOptions, key: MasterKey) throws -> [EventShape] {
        let t = try TestLedger(masterKey: key)
        let s = try t.ingest([path], options)
        #expect(s.rejectedRows == 0 && s.fileErrors == [])
        return try EventShape.all(t)
    }

    @Test("CRLF line ends and shuffled, quoted columns give the same events", arguments: [0, 1, 2])
    func lineEndsAndColumns(_ which: Int) throws {
        let name = [kidsliving, squareMay, uci][which]
        let folder = Fixtures.temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let key = MasterKey.generate()
        let original = try shapes(Fixtures.sample(name), options(name), key: key)
        #expect(original.count > 10)

        let text = Fixtures.text(name).replacingOccurrences(of: "\r\n", with: "\n").replacingOccurrences(of: "\n", with: "\r\n")
        let crlf = Fixtures.write(text, to: "crlf.csv", in: folder)
        #expect(try shapes(crlf, options(name), key: key) == original)

        let rows = try CSVText.records(Fixtures.sample(name))
        var generator = SplitMix64(seed: 7)
        let order = Array(rows[0].indices).shuffled(using: &generator)
        let shuffled = Fixtures.write(TestText.quotedCSV(rows.map { row in order.map { row[$0] } }), to: "shuffled.csv", in: folder)
        #expect(try shapes(shuffled, options(name), key: key) == original)
    }

    @Test("semicolons with decimal commas give the same events")
    func decimalCommas() throws {
        let folder = Fixtures.temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let key = MasterKey.generate()
        var rows = try CSVText.records(Fixtures.sample(uci))
        let price = try #require(rows[0].firstIndex(of: "Price"))
        for i in 1..<rows.count { rows[i][price] = rows[i][price].replacingOccurrences(of: ".", with: ",") }
        let path = Fixtures.write(TestText.quotedCSV(rows, delimiter: ";"), to: "uci.csv", in: folder)
        #expect(try shapes(path, uciOptions, key: key) == (try shapes(Fixtures.sample(uci), uciOptions, key: key)))
    }

    @Test("GB18030 with Chinese headers through a mapping file: the same receipts, lines and money, and a return")
    func gb18030Mapping() throws {
        let folder = Fixtures.temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        // The UCI II sample rewritten as a Chinese POS export, plus a return (退货) of two lamps.
        let rows = try CSVText.records(Fixtures.sample(uci))
        var text = "单号,时间,会员卡号,手机号,商品编码,商品名称,数量,单价,门店,收银员,类型\n"
        for row in rows.dropFirst() {
            text += "\(row[0]),\(row[4]),\(row[6]),138\(row[6])0000,\(row[1]),\"\(row[2])\",\(row[3]),\(row[5]),上海一店,张伟,销售\n"
        }
        text += "TH536365,12/1/2010 10:02,17850,138178500000,85123A,白色挂心灯座,-2,2.55,上海一店,李娜,退货\n"
        let path = Fixtures.write(TestText.encode(text, to: "GB18030"), to: "chinese-pos.csv", in: folder)
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
            sku = "商品编码"
            item_name = "商品名称"
            quantity = "数量"
            unit_price = "单价"
            store = "门店"
            cashier = "收银员"
            type = "类型"

            [returns]
            type_values = ["退货"]
            """, to: "shanghai.toml", in: folder)
        let t = try TestLedger()
        let s = try t.ingest([path], IngestOptions(reader: POSImportOptions(mapping: try POSMapping.load(path: mappingPath))))
        #expect(s.rejectedRows == 0 && s.fileErrors == [])
        #expect(s.receipts == 15 && s.returns == 1 && s.customersRegistered == 7)
        let variant = try t.events
        let u = try TestLedger()
        try u.ingest([Fixtures.sample(uci)], uciOptions)
        let original = try u.events

        let purchases = variant.filter { $0.type == "PurchaseRecorded" }
        let originals = original.filter { $0.type == "PurchaseRecorded" }
        #expect(purchases.count == originals.count)
        for (v, o) in zip(purchases, originals) {
            #expect(v.payload["receipt"] == o.payload["receipt"])
            #expect(v.minor("total") == o.minor("total"))
            #expect(v.payload["total"]?["currency"]?.stringValue == "CNY")
            #expect(v.lines.map { $0["sku"] } == o.lines.map { $0["sku"] })
            #expect(v.lines.map { $0["quantity"] } == o.lines.map { $0["quantity"] })
            #expect(v.lines.map { $0["unitPrice"]?["minor"] } == o.lines.map { $0["unitPrice"]?["minor"] })
            #expect(v.payload["cashier"]?.stringValue == "张伟")
            #expect(v.recorded.store == "上海一店")
            #expect(v.recorded.customer == "mapping:shanghai-pos:" + o.recorded.customer.dropFirst(4))
            #expect(v.recorded.occurredAt.microseconds == o.recorded.occurredAt.microseconds - 8 * 3_600_000_000)
        }
        let refund = try #require(variant.first { $0.type == "ReturnRecorded" })
        #expect(refund.payload["receipt"]?.stringValue == "TH536365")
        #expect(refund.payload["originalReceipt"]?.stringValue == "TH536365")   // the export does not link it
        #expect(refund.minor("refund") == 510)
        #expect(refund.lines == [.object([("sku", .string("85123A")), ("quantity", .number("2")),
                                          ("refund", .object([("minor", .number("510")), ("currency", .string("CNY"))]))])])
        #expect(refund.recorded.source?.externalId == "TH536365/return")
        let registration = try #require(variant.first { $0.type == "CustomerRegistered" && $0.recorded.customer == "mapping:shanghai-pos:17850" })
        #expect(registration.payload["phone"]?.stringValue == "138178500000")
        let stored = try #require(try t.stored.first { $0.sequence == registration.recorded.sequence })
        #expect(!String(decoding: stored.payload, as: UTF8.self).contains("1381785"))
    }
}

