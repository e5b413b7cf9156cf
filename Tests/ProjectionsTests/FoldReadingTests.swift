import Testing
import CustomerEvents
import Ledger
import LedgerJSON
import Projections

@Suite("Folding from stored bytes")
struct FoldReadingTests {
    @Test("JSONSpan reads members, nested objects, arrays, integers and escaped strings as the parser does")
    func spanAgreesWithParser() throws {
        let text = #"{ "receipt" : "R\"1", "lines":[{"sku":"A","category":"apparel","q":[1,{"x":"]"}]},{"category":"shoes"}],"total":{"minor":-12345,"currency":"CNY"},"f":1.5,"b":false,"n":null,"big":99999999999999999999}"#
        var bytes = Array(text.utf8)
        let parsed = try JSONParser.parse(text)
        bytes.withUnsafeBytes { raw in
            let span = JSONSpan(raw)
            #expect(span["receipt"]?.string == parsed["receipt"]?.stringValue)
            #expect(span["receipt"]?.rawString == nil, "escaped: no raw view")
            #expect(span["total"]?["minor"]?.int64 == -12345)
            #expect(span["total"]?["currency"]?.equals("CNY") == true)
            #expect(span["f"]?.int64 == nil && parsed["f"]?.int64Value == nil)
            #expect(span["big"]?.int64 == nil && parsed["big"]?.int64Value == nil)
            #expect(span["b"]?.bool == false)
            #expect(span["n"]?.isNull == true)
            #expect(span["missing"] == nil)
            var categories: [String] = []
            span["lines"]?.forEachElement { line in
                if let c = line["category"]?.string { categories.append(c) }
                return true
            }
            #expect(categories == ["apparel", "shoes"])
        }
        bytes = Array("[]".utf8)
        bytes.withUnsafeBytes { raw in
            var n = 0
            JSONSpan(raw).forEachElement { _ in n += 1; return true }
            #expect(n == 0)
        }
    }

    @Test("JSONSpan skips long strings and containers eight bytes at a time as it skips them byte by byte")
    func spanSkipsWords() throws {
        // Strings and runs longer than a word, with escapes, brackets, `[`/`{` look-alikes
        // (`Y`, `_`, `y`, `{` | 0x20) and multi-byte UTF-8 on either side of a word's edge.
        let long = #"ab\"cdefghij\\klmnopq]rst}uvw[xyz{YY__yy 上海一店 \u005d\"\"end"#
        let text = #"{"a":"\#(long)","lines":[{"sku":"ABCDEFGHIJKLMNOP","category":"\#(long)","q":[[[1,2,3,4,5,6,7,8,9]]]},{"category":"shoes"}],"total":{"minor":7,"currency":"CNY"},"z":"12345678"}"#
        let bytes = Array(text.utf8)
        let parsed = try JSONParser.parse(text)
        bytes.withUnsafeBytes { raw in
            let span = JSONSpan(raw)
            #expect(span["a"]?.string == parsed["a"]?.stringValue)
            #expect(span["total"]?["minor"]?.int64 == 7)
            #expect(span["z"]?.rawString.map { Array($0) } == Array("12345678".utf8))
            var categories: [String] = []
            span["lines"]?.forEachElement { line in
                if let c = line["category"]?.string { categories.append(c) }
                return true
            }
            #expect(categories == [parsed["a"]?.stringValue ?? "", "shoes"])
        }
    }

    @Test("records round-trip through the binary form; a cut record is refused")
    func recordsRoundTrip() throws {
        var s = CustomerSummary()
        s.registeredAt = -5
        s.homeStore = "店-01"
        s.purchaseDays = [1, 2, 300]
        s.netSpend = -42
        s.categories = ["apparel", "鞋"]
        s.recentReceipts = [.init(receipt: "R1", at: 7, total: 8)]
        s.unresolvedComplaintSince = ["CP-1": Int64.min]
        var w = RecordWriter()
        s.encode(to: &w)
        w.bytes.withUnsafeBytes { b in
            var r = RecordReader(b)
            #expect(CustomerSummary(stored: &r) == s)
            #expect(r.isComplete)
            var cut = RecordReader(UnsafeRawBufferPointer(rebasing: b[0..<(b.count - 3)]))
            let partial = CustomerSummary(stored: &cut)
            #expect(partial == nil || !cut.isComplete)
        }
    }

    @Test("one scan rebuilding every model equals each model caught up on its own, and a v1 purchase is upcast")
    func oneScanEqualsSeparate() throws {
        let f = try Fixture("onescan"); defer { f.remove() }
        var docs = f.chain(customers: 120, days: 150, seed: 21)
        // A purchase in schema version 1 (lines without a category).
        docs.append(try JSONParser.parse(#"{"type":"PurchaseRecorded","schemaVersion":1,"customer":"C0000001","store":"S1","actor":"pos-import","channel":"pos","occurredAt":"2025-06-01T10:00:00+08:00","source":"t","externalId":"v1","payload":{"receipt":"V1","lines":[{"sku":"A","quantity":1,"unitPrice":{"minor":500,"currency":"CNY"}}],"total":{"minor":500,"currency":"CNY"}}}"#))
        let half = docs.count / 2
        try f.append(Array(docs[..<half]))
        try f.models.catchUp(CustomerSummaryProjector())
        try f.models.catchUp(ComplaintStatusProjector())
        try f.models.catchUp(DailySummaryProjector())
        try f.append(Array(docs[half...]))
        // Caught up one by one …
        let customers = try f.stored(CustomerSummaryProjector()), complaints = try f.stored(ComplaintStatusProjector()),
            days = try f.stored(DailySummaryProjector())
        // … equals all three rebuilt in one scan.
        try f.models.rebuild(ProjectionStore.storedModels())
        #expect(try f.stored(CustomerSummaryProjector()) == customers)
        #expect(try f.stored(ComplaintStatusProjector()) == complaints)
        #expect(try f.stored(DailySummaryProjector()) == days)
        #expect(customers["C0000001"]?.recentReceipts.last?.receipt == "V1")
        #expect(customers["C0000001"]?.categories.contains(Upcasters.uncategorized) == false)
        // And catching all three up together after more events equals a rebuild.
        try f.append([try JSONParser.parse(#"{"type":"VisitRecorded","customer":"C0000002","store":"S1","actor":"a","channel":"counter","occurredAt":"2025-06-02T10:00:00+08:00","payload":{"kind":"walk-in"}}"#)])
        try f.models.catchUp(ProjectionStore.storedModels())
        let caughtUp = try f.stored(CustomerSummaryProjector()), caughtUpDays = try f.stored(DailySummaryProjector())
        try f.models.rebuild(ProjectionStore.storedModels())
        #expect(try f.stored(CustomerSummaryProjector()) == caughtUp)
        #expect(try f.stored(DailySummaryProjector()) == caughtUpDays)
    }
}
