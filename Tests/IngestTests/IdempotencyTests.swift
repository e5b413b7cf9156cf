import Testing
import TestSupport
import Foundation
import CustomerEvents
import Ingest
import Ledger
import LedgerJSON
import POSImport

/// Ingesting the same receipts twice — the same file, overlapping exports, files without receipt
/// ids — adds them once.
@Suite("Idempotent ingest")
struct IdempotencyTests {
    let uciOne = "uci_online_retail_I_head_dd-mm-yyyy_SumanKumarNayak.csv"
    var uciOptions: IngestOptions { IngestOptions(reader: POSImportOptions(dateOrder: .dmy, timeZone: "Europe/London"), defaultStore: "uk-1") }

    /// The file's rows grouped by receipt (header apart), as written.
    func receipts(_ path: String, idColumn: Int = 0) throws -> (header: [String], groups: [[[String]]]) {
        let rows = try CSVText.records(path)
        var groups: [[[String]]] = []
        for row in rows.dropFirst() {
            if let last = groups.last?.last, last[idColumn] == row[idColumn] { groups[groups.count - 1].append(row) } else { groups.append([row]) }
        }
        return (rows[0], groups)
    }

    @Test("two overlapping exports record each receipt once, as the whole file does")
    func overlappingExports() throws {
        let folder = Fixtures.temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let (header, groups) = try receipts(Fixtures.sample(uciOne))
        #expect(groups.count == 37)
        let first = Fixtures.write(TestText.quotedCSV([header] + groups[0..<25].joined()), to: "first.csv", in: folder)
        let second = Fixtures.write(TestText.quotedCSV([header] + groups[14...].joined()), to: "second.csv", in: folder)

        let key = MasterKey.generate()
        let whole = try TestLedger(masterKey: key)
        try whole.ingest([Fixtures.sample(uciOne)], uciOptions)
        let split = try TestLedger(masterKey: key)
        let a = try split.ingest([first], uciOptions)
        let b = try split.ingest([second], uciOptions)
        #expect(a.receiptsRecorded == 25)
        #expect(b.receiptsRecorded == 12 && b.receiptsAlreadyPresent == 11)
        #expect(Set(try EventShape.all(split)) == Set(try EventShape.all(whole)))
        #expect(try split.events.count == (try whole.events.count))
        // Both files in one run, the later first: the same receipts; customers are registered at the
        // first receipt read, so only the registrations' times differ.
        let together = try TestLedger(masterKey: key)
        let both = try together.ingest([second, first], uciOptions)
        #expect(both.receiptsRecorded == 37 && both.receiptsAlreadyPresent == 11)
        let receiptsOnly = { (shapes: [EventShape]) in Set(shapes.filter { $0.type != "CustomerRegistered" }) }
        let registered = { (shapes: [EventShape]) in Set(shapes.filter { $0.type == "CustomerRegistered" }.map(\.customer)) }
        #expect(receiptsOnly(try EventShape.all(together)) == receiptsOnly(try EventShape.all(whole)))
        #expect(registered(try EventShape.all(together)) == registered(try EventShape.all(whole)))
        #expect(registered(try EventShape.all(together)).count == 26)
    }

    @Test("a receipt whose rows are apart in one file is reported as incomplete, not as already there; the same file twice is")
    func receiptRowsApart() throws {
        let folder = Fixtures.temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let file = Fixtures.write("""
            Invoice,StockCode,Description,Quantity,InvoiceDate,Price,Customer ID,Country
            536365,A,CUP,1,01/12/2010 08:00,1.00,17850,UK
            536366,B,MUG,2,01/12/2010 08:05,1.50,17850,UK
            536365,C,LANTERN,6,01/12/2010 08:00,3.39,17850,UK
            536367,D,PLATE,1,01/12/2010 08:10,2.00,13047,UK

            """, to: "split.csv", in: folder)
        let ledger = try TestLedger(masterKey: MasterKey.generate())
        let s = try ledger.ingest([file], uciOptions)
        #expect(s.receiptsRecorded == 3 && s.receiptsRepeated == 1 && s.receiptsAlreadyPresent == 0, "\(s)")
        #expect(s.repeatedReceipts.count == 1 && s.repeatedReceipts[0].contains("536365"), "\(s.repeatedReceipts)")
        // The same file twice in one run: the second time, every receipt was there before the file began.
        let again = try TestLedger(masterKey: MasterKey.generate())
        let twice = try again.ingest([file, file], uciOptions)
        #expect(twice.receiptsRecorded == 3 && twice.receiptsRepeated == 1 && twice.receiptsAlreadyPresent == 4, "\(twice)")
    }

    @Test("receipts without ids get ids from their content: the same sale in another export, saved differently, is the same receipt")
    func derivedIds() throws {
        let folder = Fixtures.temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let rows = try CSVText.records(Fixtures.sample("square_transactions_2018_rwslippey_excel_resaved.csv"))
        let header = rows[0]
        let customer = try #require(header.firstIndex(of: "Customer ID"))
        let total = try #require(header.firstIndex(of: "Total Collected"))
        let card = try #require(header.firstIndex(of: "Card"))
        #expect(rows[1][try #require(header.firstIndex(of: "Transaction ID"))] == "")
        var sales = Array(rows[1...4])
        for (i, c) in ["CUST-1", "CUST-2", "CUST-3", "CUST-4"].enumerated() { sales[i][customer] = c }
        // Two identical sales: the same customer, day and amount (the export has no time).
        let twin = sales[1]
        let exportA = [header, sales[0], sales[1], twin, sales[2]]
        // The next export overlaps A by three receipts and was saved without Excel's "$1,149.00 " style.
        var exportB = [header, sales[1], twin, sales[2], sales[3]]
        for i in 1..<exportB.count {
            for c in [total, card] {
                exportB[i][c] = exportB[i][c].replacingOccurrences(of: "$", with: "").replacingOccurrences(of: ",", with: "").trimmingCharacters(in: .whitespaces)
            }
        }
        let a = Fixtures.write(TestText.quotedCSV(exportA), to: "a.csv", in: folder)
        let b = Fixtures.write(TestText.quotedCSV(exportB, lineEnd: "\r\n"), to: "b.csv", in: folder)
        let options = IngestOptions(reader: POSImportOptions(timeZone: "America/Chicago"), defaultStore: "store-1")

        let t = try TestLedger()
        let first = try t.ingest([a], options)
        #expect(first.receiptsRecorded == 4 && first.unitemizedReceipts == 4)
        let second = try t.ingest([b], options)
        #expect(second.receiptsRecorded == 1 && second.receiptsAlreadyPresent == 3)
        let ids = try t.events.filter { $0.type == "PurchaseRecorded" }.compactMap { $0.payload["receipt"]?.stringValue }
        #expect(ids.count == 5 && Set(ids).count == 5)
        #expect(ids.allSatisfy { $0.hasPrefix("derived-") })
        #expect(ids.filter { $0.hasSuffix("-2") }.count == 1)   // the twin
        let purchase = try #require(try t.events.first { $0.type == "PurchaseRecorded" })
        #expect(purchase.lines == [.object([("sku", .string("UNITEMIZED")), ("quantity", .number("1")),
                                            ("unitPrice", .object([("minor", .number("114900")), ("currency", .string("USD"))])),
                                            ("category", .string("uncategorized"))])])
        #expect(purchase.minor("total") == 114_900)
    }

    @Test("a dry run writes nothing and counts what a real run appends; after it, what would be duplicates")
    func dryRun() throws {
        let t = try TestLedger()
        var options = uciOptions
        options.dryRun = true
        let dry = try t.ingest([Fixtures.sample(uciOne)], options)
        #expect(dry.dryRun)
        #expect(try t.ledger.ledger.head().sequence == 0)
        let real = try t.ingest([Fixtures.sample(uciOne)], uciOptions)
        #expect(dry.eventsAppended == real.eventsAppended && dry.receiptsRecorded == real.receiptsRecorded)
        #expect(dry.customersRegistered == real.customersRegistered && real.customersRegistered == 26)
        let after = try t.ingest([Fixtures.sample(uciOne)], options)
        #expect(after.eventsAppended == 0 && after.duplicatesSkipped == real.eventsAppended)
        #expect(try t.ledger.ledger.head().sequence == UInt64(real.eventsAppended))
    }

    @Test("one ingester run twice: the second run starts afresh and adds nothing")
    func runTwice() throws {
        let t = try TestLedger()
        let ingester = Ingester(ledger: t.ledger, options: uciOptions, pseudonymizer: nil)
        let first = try ingester.run(files: [Fixtures.sample(uciOne)])
        let second = try ingester.run(files: [Fixtures.sample(uciOne)])
        #expect(first.customersRegistered == 26 && first.rowsRead == 400)
        #expect(second.eventsAppended == 0 && second.duplicatesSkipped == first.eventsAppended && second.rowsRead == 400)
    }

    @Test("a customer already in the ledger under another source is not registered again")
    func knownCustomer() throws {
        let t = try TestLedger()
        let counter: JSONValue = .object([
            ("type", .string("CustomerRegistered")), ("customer", .string("uci:17850")), ("store", .string("uk-1")),
            ("actor", .string("staff-1")), ("channel", .string("counter")), ("occurredAt", .string("2010-11-01T10:00:00Z")),
            ("payload", .object([])),
        ])
        _ = try t.ledger.appendAndWait([counter])[0].get()
        let s = try t.ingest([Fixtures.sample(uciOne)], uciOptions)
        #expect(s.customersAlreadyKnown == 1 && s.customersRegistered == 25)
        let streams = try t.events.filter { $0.recorded.customer == "uci:17850" }
        #expect(streams.filter { $0.type == "CustomerRegistered" }.count == 1)
        #expect(streams.count > 1)
    }

    @Test("an erased customer's personal data is not recorded again; their purchases still are")
    func erasedCustomer() throws {
        let t = try TestLedger()
        let options = IngestOptions(defaultStore: "store-1")
        let file = Fixtures.sample("shopify_orders_export_2021_kidsliving_REDACTED.csv")
        try t.ingest([file], options)
        let victim = try #require(try t.events.first { $0.type == "CustomerRegistered" }).recorded.customer
        #expect(try t.ledger.keys.destroy(victim))
        let again = try t.ingest([file], options)
        #expect(again.erasedCustomers == 1)
        #expect(again.eventsAppended == 0 && again.duplicatesSkipped == 95 - 1)
    }
}
