import Testing
import Foundation
import Ledger
@testable import POSImport

/// How rows become receipts: all or nothing, line numbers, returns, statuses, customers.
@Suite("Receipts from rows")
struct ReceiptRuleTests {
    func read(_ text: String, _ options: POSImportOptions = POSImportOptions()) throws -> ReadResult {
        let folder = Fixtures.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        return try ReadResult(path: Fixtures.write(text, to: "f.csv", in: folder), options: options)
    }

    let uciHeader = "Invoice,StockCode,Description,Quantity,InvoiceDate,Price,Customer ID,Country\n"
    let london = POSImportOptions(dateOrder: .dmy, timeZone: "Europe/London")

    @Test("one bad row rejects its whole receipt, every row reported with its line; neighbours survive")
    func allOrNothing() throws {
        let r = try read(uciHeader + """
            100,A,"CUP, BLUE",1,01/12/2010 08:00,1.00,17850,UK
            101,A,"MUG
            TWO LINES",2,01/12/2010 08:05,1.50,17850,UK
            101,B,PLATE,two,01/12/2010 08:05,3.00,17850,UK
            101,C,BOWL,1,01/12/2010 08:05,2.555,17850,UK
            102,D,SPOON,3,01/12/2010 08:09,0.50,,UK
            """, london)
        #expect(r.receipts.map(\.receiptId) == ["100", "102"])
        #expect(r.receipts[1].fileLines == [7])
        #expect(r.rejected.map(\.line) == [3, 5, 6])
        #expect(r.rejected[1].column == "Quantity")
        #expect(r.rejected[1].reason == "Quantity 'two' is not a number")
        #expect(r.rejected[1].rawRow == "101,B,PLATE,two,01/12/2010 08:05,3.00,17850,UK")
        #expect(r.rejected[0].rawRow == "101,A,\"MUG\nTWO LINES\",2,01/12/2010 08:05,1.50,17850,UK")
        #expect(r.rejected[0].reason.contains("receipt 101") && r.rejected[0].reason.contains("line 5"))
        #expect(r.rejected[2].column == nil)
        #expect(r.rejected[1].description.hasSuffix("f.csv:5: Quantity: Quantity 'two' is not a number"))
    }

    @Test("too many decimals for the currency is a reject, not a rounding")
    func tooManyDecimals() throws {
        let r = try read(uciHeader + "100,A,CUP,1,01/12/2010 08:00,2.555,,UK\n", london)
        #expect(r.receipts.isEmpty)
        #expect(r.rejected.first?.reason == "Price '2.555' has 3 decimals, more than the currency's 2")
    }

    @Test("UCI: C invoices are cancellations with negative quantities; rows without Customer ID are anonymous")
    func uciCancellations() throws {
        let r = try read(uciHeader + """
            536379,D,Discount,-1,01/12/2010 09:41,27.50,14527,United Kingdom
            C536379,D,Discount,-1,01/12/2010 09:41,27.50,14527.0,United Kingdom
            536414,22139,,56,01/12/2010 11:52,0,,United Kingdom
            A563185,B,Adjust bad debt,1,12/08/2011 14:50,11062.06,,United Kingdom
            """, london)
        #expect(r.receipts.map(\.kind) == [.sale, .cancellation, .sale])
        #expect(r.receipts[1].total == -2750 && r.receipts[1].lines[0].quantity == ExactDecimal(value: -1))
        #expect(r.receipts[1].customer?.externalId == "14527")
        #expect(r.receipts[2].customer == nil && r.receipts[2].total == 0)
        #expect(r.skipped.map(\.receiptId) == ["A563185"])
        #expect(r.receipts[0].occurredAt == Timestamp(iso8601: "2010-12-01T09:41:00Z"))
    }

    @Test("Shopify statuses: refunded orders become a sale and a refund; unknown statuses are rejected")
    func shopifyStatuses() throws {
        let header = "Name,Email,Financial Status,Currency,Total,Created at,Lineitem quantity,Lineitem name,Lineitem price,Lineitem sku,Refunded Amount,Cancelled at,Phone\n"
        let r = try read(header + """
            #1,a@x.test,refunded,USD,30.00,2026-04-01 10:00:00 -0400,2,Cup,15.00,CUP,30.00,2026-04-03 09:00:00 -0400,
            #2,B@X.test,partially_refunded,USD,50.00,2026-04-01 11:00:00 -0400,1,Lamp,50.00,LAMP,10.00,,
            #2,B@X.test,,,,2026-04-01 11:00:00 -0400,1,Bulb,0.00,BULB,,,
            #3,,weird,USD,1.00,2026-04-01 12:00:00 -0400,1,Pen,1.00,PEN,,,
            #4,,pending,USD,5.00,2026-04-01 13:00:00 -0400,1,Pad,5.00,PAD,,,
            """)
        #expect(r.receipts.map { "\($0.receiptId!) \($0.kind) \($0.total)" } == [
            "#1 sale 3000", "#1 refund -3000", "#2 sale 5000", "#2 refund -1000", "#4 sale 500"])
        let fullRefund = r.receipts[1]
        #expect(fullRefund.originalReceiptId == "#1")
        #expect(fullRefund.occurredAt == Timestamp(iso8601: "2026-04-03T09:00:00-04:00"))
        #expect(fullRefund.lines.map(\.quantity) == [ExactDecimal(value: -2)])
        #expect(r.receipts[3].lines.isEmpty)
        #expect(r.receipts[2].customer?.externalId == "b@x.test")
        #expect(r.receipts[4].customer == nil)
        #expect(r.rejected.map(\.line) == [5])
        #expect(r.rejected.first?.column == "Financial Status")
    }

    @Test("Shopify amounts in each order's own currency: yen have no decimals, dinars three")
    func shopifyCurrencyDigits() throws {
        let header = "Name,Email,Financial Status,Currency,Total,Created at,Lineitem quantity,Lineitem name,Lineitem price,Lineitem sku,Refunded Amount,Cancelled at,Phone\n"
        let r = try read(header + """
            #1,a@x.test,paid,JPY,604,2026-04-01 10:00:00 +0900,1,Doll,519,DOLL,,,
            #1,a@x.test,,,,2026-04-01 10:00:00 +0900,1,Card,85,CARD,,,
            #2,b@x.test,paid,KWD,12.345,2026-04-01 11:00:00 +0300,1,Lamp,12.345,LAMP,,,
            #3,c@x.test,paid,USD,5.00,2026-04-01 12:00:00 -0400,1,Pad,5.00,PAD,,,
            #4,d@x.test,paid,JPY,10.50,2026-04-01 13:00:00 +0900,1,Pen,10.50,PEN,,,
            """)
        #expect(r.receipts.map { "\($0.receiptId!) \($0.currency) \($0.total) \($0.lines.map { $0.unitPrice ?? -1 })" } == [
            "#1 JPY 604 [519, 85]", "#2 KWD 12345 [12345]", "#3 USD 500 [500]"])
        #expect(r.rejected.map(\.line) == [6] && r.rejected.first?.reason == "Total '10.50' has 2 decimals, more than the currency's 0", "\(r.rejected)")
    }

    @Test("Loyverse receipts: sales, refunds, cancelled receipts, items from the description")
    func loyverse() throws {
        let text = """
            Date,Receipt number,Receipt type,Gross sales,Discounts,Net sales,Taxes,Total collected,Cost of goods,Gross profit,Payment type,Description,Dining option,POS,Store,Cashier name,Customer name,Customer contacts,Status
            7/28/26 1:33 PM,4-10378,Sale,90.00,0.00,90.00,0.00,90.00,18.35,71.65,Transfer,1 x Chocoholic,Dine in,POS 1,Tangerine Cafe,Tangerine,,,Closed
            7/28/26 12:57 PM,4-10371,Sale,200.00,0.00,200.00,0.00,200.00,40.00,160.00,Cash,"2 x Chicken Salad, 1 x Latte",Dine in,POS 1,Tangerine Cafe,Somchai,Nok,"nok@example.test, +66 81 000 0000",Closed
            7/28/26 12:03 PM,4-10366,Sale,150.00,50.00,100.00,0.00,100.00,20.00,80.00,Card,1 x Beet the Heat,Dine in,POS 1,Tangerine Cafe,Tangerine,Nok,+66 81 000 0000,Cancelled
            7/26/26 11:46 AM,4-10340,Refund,180.00,0.00,-180.00,0.00,-180.00,0.00,-180.00,Cash,1 x Refund,Dine in,POS 1,Tangerine Cafe,Tangerine,,,Closed
            7/13/26 9:05 AM,4-10201,Sale,105.00,0.00,105.00,0.00,105.00,0.00,105.00,Cash,3 x Espresso,Take out,POS 2,Tangerine Riverside,Ploy,,,Closed
            """
        let r = try read(text, POSImportOptions(timeZone: "Asia/Bangkok", currency: "THB"))
        #expect(r.rejected == [])
        #expect(r.receipts.map(\.receiptId) == ["4-10378", "4-10371", "4-10340", "4-10201"])
        #expect(r.receipts.map(\.kind) == [.sale, .sale, .refund, .sale])
        #expect(r.receipts.map(\.total) == [9000, 20000, -18000, 10500])
        #expect(r.skipped.map(\.receiptId) == ["4-10366"])
        #expect(r.receipts[0].occurredAt == Timestamp(iso8601: "2026-07-28T13:33:00+07:00"))
        #expect(r.receipts[0].lines == [ImportedLine(fileLine: 2, sku: nil, name: "Chocoholic", category: nil,
                                                     quantity: ExactDecimal(value: 1), unitPrice: 9000, discount: 0, amount: 9000)])
        #expect(r.receipts[1].lines.map(\.name) == ["Chicken Salad", "Latte"])
        #expect(r.receipts[1].lines.map(\.quantity) == [ExactDecimal(value: 2), ExactDecimal(value: 1)])
        #expect(r.receipts[1].lines.map(\.amount) == [nil, nil])
        #expect(r.receipts[1].customer == ImportedCustomer(externalId: "nok@example.test", name: "Nok",
                                                           email: "nok@example.test", phone: "+66 81 000 0000"))
        #expect(r.receipts[1].cashier == "Somchai" && r.receipts[1].store == "Tangerine Cafe" && r.receipts[1].paymentType == "Cash")
        #expect(r.receipts[2].lines.first?.quantity == ExactDecimal(value: -1))
        #expect(r.receipts[3].lines.first?.unitPrice == 3500)
        #expect(r.receipts[0].customer == nil)
    }

    @Test("Loyverse dates in day-first locales are decided from the file")
    func loyverseDayFirst() throws {
        let text = """
            Date,Receipt number,Receipt type,Total collected,Store
            31/12/2025 14:05,1-1,Sale,10.00,Main
            01/12/2025 09:00,1-2,Sale,5.00,Main
            """
        let r = try read(text, POSImportOptions(timeZone: "Asia/Manila", currency: "PHP"))
        #expect(r.receipts.map(\.occurredAt) == [Timestamp(iso8601: "2025-12-31T14:05:00+08:00"), Timestamp(iso8601: "2025-12-01T09:00:00+08:00")])
        #expect(r.receipts.allSatisfy { $0.lines.isEmpty })
    }

    @Test("rows with a delimiter inside an unquoted value are refused, not misread")
    func shiftedColumns() throws {
        let r = try read(uciHeader + "100,A,CUP, BLUE,1,01/12/2010 08:00,1.00,17850,UK\n", london)
        #expect(r.receipts.isEmpty)
        #expect(r.rejected.first?.reason.contains("9 fields where the header has 8") == true)
    }

    @Test("a Square row without a time zone needs the option; a zone name it does not know is refused")
    func squareZones() throws {
        let header = "Date,Time,Time Zone,Gross Sales,Discounts,Net Sales,Total Collected,Transaction ID,Payment ID,Event Type\n"
        let r = try read(header + """
            2026-06-01,10:00:00,,$5.00,$0.00,$5.00,$5.00,T1,P1,Payment
            2026-06-01,10:05:00,Moon Time,$5.00,$0.00,$5.00,$5.00,T2,P2,Payment
            2026-06-01,10:10:00,Central Time (US & Canada),$5.00,$0.00,$5.00,($5.00),T3,P3,Refund
            """)
        #expect(r.rejected.map(\.line) == [2, 3])
        #expect(r.rejected[0].reason.contains("--timezone"))
        #expect(r.rejected[1].column == "Time Zone")
        #expect(r.receipts.first?.occurredAt == Timestamp(iso8601: "2026-06-01T10:10:00-05:00"))
        #expect(r.receipts.first?.kind == .refund && r.receipts.first?.total == -500)
    }
}
