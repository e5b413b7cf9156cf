import Testing
import Ledger
@testable import POSImport

/// Every sample export in `shared/samples` read with exact counts.
///
/// The expected numbers were computed independently of this code, by
/// `python3 tools/expected-sample-counts.py` (Python's csv module and Decimal): receipts are runs of
/// rows with the same id; Shopify `voided` orders are skipped; a customer is Shopify's email (else
/// Phone, else Billing Phone) or the export's customer id; totals are Shopify's Total, Square items'
/// Net Sales + Tax, Square transactions' Total Collected, UCI's Quantity × Price, in minor units.
@Suite("Sample exports")
struct SampleFileTests {
    struct Expected: Sendable, CustomTestStringConvertible {
        var file: String
        var options: POSImportOptions = POSImportOptions()
        var profile: String
        var receipts: Int
        var lines: Int
        var returns: Int
        var customers: Int
        var anonymous: Int
        var totals: [String: Int64]
        var skipped: Int = 0
        var testDescription: String { file }
    }

    static let expectations: [Expected] = [
        Expected(file: "shopify_orders_export_2021_kidsliving_REDACTED.csv", profile: "shopify",
                 receipts: 48, lines: 95, returns: 0, customers: 47, anonymous: 0, totals: ["ZAR": 13_571_400], skipped: 2),
        Expected(file: "shopify_orders_export_2026_zhangerson_REDACTED.csv", profile: "shopify",
                 receipts: 5, lines: 6, returns: 0, customers: 5, anonymous: 0, totals: ["BDT": 770_000]),
        Expected(file: "shopify_orders_export_2026_zhangerson_10_REDACTED.csv", profile: "shopify",
                 receipts: 38, lines: 38, returns: 0, customers: 38, anonymous: 0, totals: ["BDT": 6_944_000], skipped: 12),
        Expected(file: "square_items_detail_2026-05_sunrise_social_club_REDACTED.csv", profile: "square-items",
                 receipts: 163, lines: 223, returns: 1, customers: 37, anonymous: 125, totals: ["USD": 187_328]),
        Expected(file: "square_items_detail_2026-07-18_sunrise_social_club_REDACTED.csv", profile: "square-items",
                 receipts: 103, lines: 143, returns: 0, customers: 28, anonymous: 74, totals: ["USD": 110_637]),
        Expected(file: "square_transactions_2018_rwslippey_excel_resaved.csv",
                 options: POSImportOptions(timeZone: "America/Chicago"), profile: "square-transactions",
                 receipts: 4, lines: 0, returns: 0, customers: 0, anonymous: 4, totals: ["USD": 243_400]),
        Expected(file: "uci_online_retail_II_head_xq2005.csv",
                 options: POSImportOptions(dateOrder: .mdy, timeZone: "Europe/London"), profile: "uci-online-retail",
                 receipts: 14, lines: 99, returns: 0, customers: 7, anonymous: 0, totals: ["GBP": 310_973]),
        Expected(file: "uci_online_retail_I_head_dd-mm-yyyy_SumanKumarNayak.csv",
                 options: POSImportOptions(dateOrder: .dmy, timeZone: "Europe/London"), profile: "uci-online-retail",
                 receipts: 37, lines: 400, returns: 0, customers: 26, anonymous: 0, totals: ["GBP": 1_519_304]),
    ]

    @Test("reads with exact counts", arguments: expectations)
    func counts(_ e: Expected) throws {
        let r = try ReadResult(path: Fixtures.sample(e.file), options: e.options)
        #expect(r.rejected == [])
        #expect(r.receipts.count == e.receipts)
        #expect(r.lineCount == e.lines)
        #expect(r.returns == e.returns)
        #expect(r.distinctCustomers == e.customers)
        #expect(r.anonymous == e.anonymous)
        #expect(r.totals == e.totals)
        #expect(r.skipped.count == e.skipped)
        #expect(Set(r.receipts.map(\.profile)) == [e.profile])
    }

    @Test("every sample file in the folder has an expectation")
    func allSamplesCovered() throws {
        let files = try FileManagerListing.csvFiles(in: Fixtures.samples)
        #expect(files == Set(Self.expectations.map(\.file)))
    }

    @Test("Shopify: first receipt in full, follow-on rows joined, voided orders skipped")
    func shopifyDetails() throws {
        let r = try ReadResult(path: Fixtures.sample("shopify_orders_export_2021_kidsliving_REDACTED.csv"))
        let first = try #require(r.receipts.first)
        #expect(first.receiptId == "#13519")
        #expect(first.occurredAt == Timestamp(iso8601: "2021-05-13T11:01:12+02:00"))
        #expect(first.total == 78_400 && first.currency == "ZAR" && first.paymentType == "PayGate")
        #expect(first.customer == ImportedCustomer(externalId: "customer1@example.invalid", name: "Customer 1",
                                                    email: "customer1@example.invalid", phone: "+15550000001"))
        #expect(first.lines == [ImportedLine(fileLine: 2, sku: "FMATTBAMB120X60", name: "Mattress Bamboopaedic 120 cm x 60 cm",
                                             category: nil, quantity: ExactDecimal(value: 1), unitPrice: 69_900,
                                             discount: 0, amount: 69_900)])
        let six = try #require(r.receipts.first { $0.receiptId == "#13524" })
        #expect(six.fileLines == [9, 10, 11, 12, 13, 14])   // grep -n "^#13524" in the file
        #expect(six.lines.map(\.sku) == ["17455", "20054", "19365", "19444", "15825", "LD4381"])
        #expect(six.lines.compactMap(\.amount).reduce(0, +) == 167_800)
        #expect(six.sourceStatus == "paid")
        #expect(r.skipped.map(\.receiptId) == ["#13549", "#13554"])
        #expect(r.skipped[0].fileLines == [69, 70])
        #expect(r.skipped[0].reason.contains("voided"))
        #expect(r.receipts.filter { $0.sourceStatus == "pending" }.count == 13)
    }

    @Test("Square items: the refund is linked to its payment through the shared Payment ID")
    func squareRefundLink() throws {
        let r = try ReadResult(path: Fixtures.sample("square_items_detail_2026-05_sunrise_social_club_REDACTED.csv"))
        let refund = try #require(r.receipts.first { $0.kind == .refund })
        #expect(refund.receiptId == "6ftNfFXAQiInb1dHMVCoipGcpyXZY")
        #expect(refund.originalReceiptId == "SD3kVYvRmMtV2lRIY3TNgHxOxtRZY")
        #expect(refund.paymentReference == "lIFhsZH5kmoNMLYUlsyZifXMV66YY")
        #expect(refund.total == -754)
        #expect(refund.fileLines == [159])
        #expect(refund.lines.first?.quantity == ExactDecimal(value: -10, scale: 1))
        #expect(refund.lines.first?.amount == -700 && refund.lines.first?.unitPrice == 700)
        // 13:40:44 Eastern on 23 May 2026 is daylight time, UTC-4.
        #expect(refund.occurredAt == Timestamp(iso8601: "2026-05-23T13:40:44-04:00"))
    }

    @Test("Square transactions: Excel's \"$1,149.00 \" and M/D/YYYY dates with no time")
    func squareTransactions() throws {
        let r = try ReadResult(path: Fixtures.sample("square_transactions_2018_rwslippey_excel_resaved.csv"),
                               options: POSImportOptions(timeZone: "America/Chicago"))
        #expect(r.receipts.map(\.total) == [114_900, 15_000, 54_000, 59_500])
        #expect(r.receipts.map(\.receiptId) == [nil, nil, nil, nil])
        #expect(r.receipts[0].occurredAt == Timestamp(iso8601: "2018-12-27T00:00:00-06:00"))
        #expect(r.receipts[0].paymentType == "Card")
    }

    @Test("UCI files whose every date reads both ways are refused without the date-format option")
    func uciNeedsDateOrder() {
        for file in ["uci_online_retail_II_head_xq2005.csv", "uci_online_retail_I_head_dd-mm-yyyy_SumanKumarNayak.csv"] {
            #expect(throws: POSImportError.self) {
                _ = try POSFileReader(path: Fixtures.sample(file), options: POSImportOptions(timeZone: "Europe/London"))
            }
            do {
                _ = try POSFileReader(path: Fixtures.sample(file), options: POSImportOptions(timeZone: "Europe/London"))
            } catch {
                guard case .ambiguousDateOrder(_, let column, _) = error else {
                    Issue.record("expected ambiguousDateOrder, got \(error)")
                    continue
                }
                #expect(column == "InvoiceDate")
                #expect(error.description.contains("--date-format"))
            }
        }
    }

    @Test("UCI without a time zone is refused, naming the option")
    func uciNeedsZone() {
        #expect(throws: POSImportError.timeZoneRequired(path: Fixtures.sample("uci_online_retail_II_head_xq2005.csv"),
                                                        profile: "uci-online-retail")) {
            _ = try POSFileReader(path: Fixtures.sample("uci_online_retail_II_head_xq2005.csv"),
                                  options: POSImportOptions(dateOrder: .mdy))
        }
    }

    @Test("both UCI files give the same first invoice, in London winter time")
    func uciSameInvoices() throws {
        let two = try ReadResult(path: Fixtures.sample("uci_online_retail_II_head_xq2005.csv"),
                                 options: POSImportOptions(dateOrder: .mdy, timeZone: "Europe/London"))
        let one = try ReadResult(path: Fixtures.sample("uci_online_retail_I_head_dd-mm-yyyy_SumanKumarNayak.csv"),
                                 options: POSImportOptions(dateOrder: .dmy, timeZone: "Europe/London"))
        #expect(two.comparable.first == one.comparable.first)
        #expect(one.receipts[0].occurredAt == Timestamp(iso8601: "2010-12-01T08:26:00Z"))
        #expect(one.receipts[0].total == 13_912)
    }
}

import Foundation

enum FileManagerListing {
    static func csvFiles(in folder: String) throws -> Set<String> {
        Set(try FileManager.default.contentsOfDirectory(atPath: folder).filter { $0.hasSuffix(".csv") })
    }
}
