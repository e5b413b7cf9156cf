import Testing
import CustomerEvents
import Ingest
import Ledger
import LedgerJSON
import POSImport

/// Every sample export in `shared/samples` ingested into a real ledger, with exact counts.
///
/// The numbers were computed independently of this code by `python3 tools/expected-sample-counts.py`
/// (Python's csv module and Decimal): the receipts, lines, returns, customers and totals are the
/// ones Tests/POSImportTests/SampleFileTests.swift asserts for the reader; the "recorded" numbers
/// are those of the receipts with a customer — the only ones that become events.
@Suite("Sample exports into the ledger")
struct SampleIngestTests {
    struct Expected: Sendable, CustomTestStringConvertible {
        var file: String
        var options: IngestOptions
        var receipts: Int
        var lines: Int
        var returns: Int
        var customers: Int
        var anonymous: Int
        var anonymousRows: Int
        var totals: [String: Int64]
        var skipped = 0
        var recordedReceipts: Int
        var recordedRows: Int
        var recordedReturns = 0
        var recordedTotals: [String: Int64]
        var testDescription: String { file }
    }

    static let store = IngestOptions(defaultStore: "store-1")
    static let expectations: [Expected] = [
        Expected(file: "shopify_orders_export_2021_kidsliving_REDACTED.csv", options: store,
                 receipts: 48, lines: 95, returns: 0, customers: 47, anonymous: 0, anonymousRows: 0, totals: ["ZAR": 13_571_400],
                 skipped: 2, recordedReceipts: 48, recordedRows: 95, recordedTotals: ["ZAR": 13_571_400]),
        Expected(file: "shopify_orders_export_2026_zhangerson_REDACTED.csv", options: store,
                 receipts: 5, lines: 6, returns: 0, customers: 5, anonymous: 0, anonymousRows: 0, totals: ["BDT": 770_000],
                 recordedReceipts: 5, recordedRows: 6, recordedTotals: ["BDT": 770_000]),
        Expected(file: "shopify_orders_export_2026_zhangerson_10_REDACTED.csv", options: store,
                 receipts: 38, lines: 38, returns: 0, customers: 38, anonymous: 0, anonymousRows: 0, totals: ["BDT": 6_944_000],
                 skipped: 12, recordedReceipts: 38, recordedRows: 38, recordedTotals: ["BDT": 6_944_000]),
        Expected(file: "square_items_detail_2026-05_sunrise_social_club_REDACTED.csv", options: IngestOptions(),
                 receipts: 163, lines: 223, returns: 1, customers: 37, anonymous: 125, anonymousRows: 167, totals: ["USD": 187_328],
                 recordedReceipts: 38, recordedRows: 56, recordedTotals: ["USD": 45_027]),
        Expected(file: "square_items_detail_2026-07-18_sunrise_social_club_REDACTED.csv", options: IngestOptions(),
                 receipts: 103, lines: 143, returns: 0, customers: 28, anonymous: 74, anonymousRows: 99, totals: ["USD": 110_637],
                 recordedReceipts: 29, recordedRows: 44, recordedTotals: ["USD": 34_906]),
        Expected(file: "square_transactions_2018_rwslippey_excel_resaved.csv",
                 options: IngestOptions(reader: POSImportOptions(timeZone: "America/Chicago"), defaultStore: "store-1"),
                 receipts: 4, lines: 0, returns: 0, customers: 0, anonymous: 4, anonymousRows: 4, totals: ["USD": 243_400],
                 recordedReceipts: 0, recordedRows: 0, recordedTotals: [:]),
        Expected(file: "uci_online_retail_II_head_xq2005.csv",
                 options: IngestOptions(reader: POSImportOptions(dateOrder: .mdy, timeZone: "Europe/London"), defaultStore: "uk-1"),
                 receipts: 14, lines: 99, returns: 0, customers: 7, anonymous: 0, anonymousRows: 0, totals: ["GBP": 310_973],
                 recordedReceipts: 14, recordedRows: 99, recordedTotals: ["GBP": 310_973]),
        Expected(file: "uci_online_retail_I_head_dd-mm-yyyy_SumanKumarNayak.csv",
                 options: IngestOptions(reader: POSImportOptions(dateOrder: .dmy, timeZone: "Europe/London"), defaultStore: "uk-1"),
                 receipts: 37, lines: 400, returns: 0, customers: 26, anonymous: 0, anonymousRows: 0, totals: ["GBP": 1_519_304],
                 recordedReceipts: 37, recordedRows: 400, recordedTotals: ["GBP": 1_519_304]),
    ]

    @Test("ingests with exact counts, money and customers; a second run adds nothing", arguments: expectations)
    func sample(_ e: Expected) throws {
        let t = try TestLedger()
        let path = Fixtures.sample(e.file)
        let s = try t.ingest([path], e.options)
        // What was read.
        #expect(s.fileErrors == [])
        #expect(s.rejectedRows == 0)
        #expect(s.receipts == e.receipts)
        #expect(s.lines == e.lines)
        #expect(s.returns == e.returns)
        #expect(s.anonymousReceipts == e.anonymous)
        #expect(s.anonymousRows == e.anonymousRows)
        #expect(s.totals == e.totals)
        #expect(s.skippedReceipts == e.skipped)
        #expect(s.unitemizedReceipts == (e.file.hasPrefix("square_transactions") ? e.recordedReceipts : 0))
        // What was recorded.
        #expect(s.receiptsRecorded == e.recordedReceipts)
        #expect(s.customersRegistered == e.customers)
        #expect(s.eventsAppended == e.recordedReceipts + e.customers)
        #expect(s.duplicatesSkipped == 0 && s.receiptsAlreadyPresent == 0)

        let events = try t.events
        #expect(events.count == s.eventsAppended)
        #expect(events.filter { $0.type == "PurchaseRecorded" }.count == e.recordedReceipts - e.recordedReturns)
        #expect(events.filter { $0.type == "ReturnRecorded" }.count == e.recordedReturns)
        #expect(events.filter { $0.type == "CustomerRegistered" }.count == e.customers)
        #expect(events.filter { $0.type == "PurchaseRecorded" }.reduce(0) { $0 + $1.lines.count } == e.recordedRows)
        var money: [String: Int64] = [:]
        for event in events {
            if event.type == "PurchaseRecorded", let m = event.minor("total"), let c = event.payload["total"]?["currency"]?.stringValue { money[c, default: 0] += m }
            if event.type == "ReturnRecorded", let m = event.minor("refund"), let c = event.payload["refund"]?["currency"]?.stringValue { money[c, default: 0] -= m }
        }
        #expect(money == e.recordedTotals)
        // Every event is the import's, idempotent, and names no one in the clear.
        for event in events {
            #expect(event.recorded.actor == "pos-import" && event.recorded.channel == "pos")
            #expect(event.recorded.source?.source.hasPrefix("pos:") == true)
            #expect(!event.recorded.customer.contains("@") && !event.recorded.customer.contains("+"))
        }
        // Each customer's first event is their registration.
        var firstType: [String: String] = [:]
        for event in events where firstType[event.recorded.customer] == nil { firstType[event.recorded.customer] = event.type }
        #expect(Set(firstType.values).subtracting(["CustomerRegistered"]).isEmpty)
        let report = try t.ledger.ledger.verify()
        #expect(report.isSound, "\(report.problems)")

        // The same file again: nothing appended, and the summary says so.
        let head = try t.ledger.ledger.head()
        let again = try t.ingest([path], e.options)
        #expect(again.eventsAppended == 0)
        #expect(again.duplicatesSkipped == s.eventsAppended)
        #expect(again.receiptsAlreadyPresent == e.recordedReceipts)
        #expect(again.customersRegistered == 0)
        #expect(try t.ledger.ledger.head() == head)
    }

    @Test("personal fields are sealed in the log and read back with the key")
    func sealed() throws {
        let t = try TestLedger()
        try t.ingest([Fixtures.sample("shopify_orders_export_2021_kidsliving_REDACTED.csv")], Self.store)
        let stored = try t.stored.filter { $0.type == "CustomerRegistered" }
        #expect(stored.count == 47)
        for event in stored {
            let text = String(decoding: event.payload, as: UTF8.self)
            #expect(text.contains("\"_sealed\""))
            #expect(!text.contains("example.invalid") && !text.contains("+1555") && !text.contains("Customer "))
            #expect(event.customer.hasPrefix("contact:") && event.customer.utf8.count == 40)
            #expect(event.source?.externalId == event.customer + "/registered")
        }
        let first = try #require(try t.events.first { $0.type == "CustomerRegistered" })
        #expect(first.payload["email"]?.stringValue == "customer1@example.invalid")
        #expect(first.payload["name"]?.stringValue == "Customer 1")
        #expect(first.payload["phone"]?.stringValue == "+15550000001")
    }

    @Test("Square: the store comes from the export; refunds without a customer stay anonymous")
    func squareStore() throws {
        let t = try TestLedger()
        let s = try t.ingest([Fixtures.sample("square_items_detail_2026-05_sunrise_social_club_REDACTED.csv")], IngestOptions())
        #expect(s.returns == 1 && s.receiptsRecorded == 38)
        let events = try t.events
        #expect(Set(events.map(\.recorded.store)) == ["Sunrise Social Club LLC"])
        #expect(Set(events.compactMap(\.recorded.source?.source)) == ["pos:square:Sunrise Social Club LLC"])
        #expect(events.filter { $0.type == "ReturnRecorded" }.isEmpty)
        #expect(events.allSatisfy { $0.recorded.customer.hasPrefix("square:") })
    }
}
