import Testing
import CustomerEvents
import Ledger
import LedgerJSON
@testable import Projections

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

    @Test("walking members and elements in one pass finds what forEachMember and forEachElement find")
    func walksAgreeWithVisits() throws {
        let long = #"ab\"cd]}{[efghij\\klm 上海 \u005d"#
        let texts = [
            #"{ "receipt" : "R\"1", "lines":[{"sku":"A","category":"apparel","q":[1,{"x":"]"}]},{"category":"shoes"}, 7, "x"],"total":{"minor":-12345,"currency":"CNY"},"f":1.5,"b":false,"n":null}"#,
            #"{"a":"\#(long)","lines":[ ],"o":{ },"z":"12345678" , "e":[[[1,2]]]}"#,
            #"{ }"#,
        ]
        for text in texts {
            // The span runs past the object, as a walk's spans do.
            let bytes = Array((text + #", "after": [1]}"#).utf8)
            bytes.withUnsafeBytes { raw in
                let exact = JSONSpan(UnsafeRawBufferPointer(rebasing: raw[0..<text.utf8.count]))
                let running = JSONSpan(raw)
                var visited: [([UInt8], [UInt8])] = [], walked: [([UInt8], [UInt8])] = []
                exact.forEachMember { k, v in visited.append((Array(k), Array(v.bytes))); return true }
                let length = running.walkMembers { k, v in
                    guard let n = v.leadingValueLength else { return nil }
                    walked.append((Array(k), Array(v.prefix(n).bytes)))
                    if v.isArray {
                        // Elements, walked, equal the array's elements visited.
                        var a: [[UInt8]] = [], b: [[UInt8]] = []
                        v.prefix(n).forEachElement { e in a.append(Array(e.bytes)); return true }
                        let m = v.walkElements { e in
                            guard let n = e.leadingValueLength else { return nil }
                            b.append(Array(e.prefix(n).bytes))
                            return n
                        }
                        #expect(m == n, "\(text)")
                        #expect(a == b, "\(text)")
                    }
                    return n
                }
                #expect(length == text.utf8.count, "\(text)")
                #expect(visited.map(\.0) == walked.map(\.0) && visited.map(\.1) == walked.map(\.1), "\(text)")
                // Passing over the rest of the object at any member (`lengthToEnclosingEnd`): the
                // walk ends where the object does, whatever strings and brackets follow.
                for stop in visited.indices {
                    var at = 0
                    let skipped = running.walkMembers { _, v in
                        defer { at += 1 }
                        return at == stop ? v.lengthToEnclosingEnd : v.leadingValueLength
                    }
                    #expect(skipped == text.utf8.count, "\(text) from member \(stop)")
                }
                // A walk stops when asked to.
                if !visited.isEmpty { #expect(running.walkMembers { _, _ in nil } == nil) }
            }
        }
        Array(#"[1,2]"#.utf8).withUnsafeBytes { raw in
            #expect(JSONSpan(raw).walkMembers { _, v in v.leadingValueLength } == nil)
            #expect(JSONSpan(raw).walkElements { e in e.leadingValueLength } == 5)
        }
    }

    @Test("a payload's members, found in one walk when the event is read, are what looking each one up finds")
    func membersAgreeWithLookups() throws {
        let long = #"ab\"cd]}{[efghij\\klm 上海 \u005d"#
        let texts = [
            #"{"points":238,"receipt":"R11146166"}"#,
            // Repeated members (the first counts), names nested in other values, escapes, every kind of value.
            #"{ "note" : {"complaint":"inner","kind":["x"]}, "complaint" : "CP\"1", "points":-7, "complaint":"CP-2", "kind":"birthday-greeting","#
                + #" "satisfied":false, "csat":5, "category":"\u0073hoes", "severity":"high", "purpose":"marketing", "channel":"sms", "receipt":null, "a":"\#(long)"}"#,
            #"{"purpose":"membership","policyVersion":"2025-01"}"#,
            #"{ }"#,
            // Cut short: what comes before the break is found, as a lookup finds it.
            #"{"complaint":"CP-3","csat":4, "channel""#,
            #"[1,2]"#,
        ]
        for text in texts {
            Array(text.utf8).withUnsafeBytes { raw in
                let payload = JSONSpan(raw)
                let walked = FoldEvent.Found(members: payload)
                for name in FoldEvent.Members.Name.allCases {
                    let expected = payload[name.text].map { Array($0.bytes) }
                    #expect(walked.span(walked.places[name.rawValue], base: payload.bytes.baseAddress).map { Array($0.bytes) } == expected, "\(name) in \(text)")
                }
            }
        }
    }

    @Test("a receipt's categories, read in the scan's one walk, fold as reading every line would: order, repeats, escapes, many categories")
    func receiptCategories() throws {
        let f = try Fixture("categories"); defer { f.remove() }
        func line(_ category: String?) -> String {
            #"{"sku":"S","name":"n, \"q\" ]","#
                + (category.map { #""category":"\#($0)","# } ?? "")
                + #""quantity":1,"unitPrice":{"minor":1000,"currency":"CNY"}}"#
        }
        func purchase(_ receipt: String, _ categories: [String?], minor: Int, day: Int) throws -> JSONValue {
            try LoyaltyTests.event("PurchaseRecorded", #"{"receipt":"\#(receipt)","lines":["# + categories.map(line).joined(separator: ",")
                + #"],"total":{"minor":\#(minor),"currency":"CNY"}}"#, at: "2026-03-0\(day)T10:00:00+08:00", id: receipt)
        }
        // More distinct categories than the walk keeps (the best multiplier in the sixth line);
        // repeats; an escaped spelling of a text already seen; "uncategorized" (lines without a category are
        // refused at append; an old version's are upcast to it).
        let docs = [
            try purchase("R1", ["apparel", "beauty", "apparel", "bags", "hats", "shoes"], minor: 10_000, day: 1),
            try purchase("R2", [Upcasters.uncategorized, "sho\\u0065s", "toys", "shoes", "toys"], minor: 20_000, day: 2),
            try purchase("R3", ["sho\\u0065s"], minor: 30_000, day: 3),
        ]
        try f.append(docs)
        // What reading every line of every receipt, in order, gives.
        var expected: [String] = []
        for d in docs {
            guard case .array(let lines)? = d["payload"]?["lines"] else { continue }
            for l in lines {
                if let c = l["category"]?.stringValue, c != Upcasters.uncategorized, !expected.contains(c) { expected.append(c) }
            }
        }
        #expect(expected == ["apparel", "beauty", "bags", "hats", "shoes", "toys"])
        var config = ClienteleConfiguration()
        config.points.categoryMultipliers = ["shoes": 3, "toys": 2]
        let loyalty = LoyaltyProjector(configuration: config)
        // Caught up event by event, and rebuilt in one scan: the same.
        let summary = try #require(try f.models.record(CustomerSummaryProjector(), key: "C1"))
        #expect(Array(summary.categories) == expected)
        let account = try #require(try f.models.record(loyalty, key: "C1"))
        #expect(account.receipts["R1"]?.earned == 300 && account.receipts["R2"]?.earned == 600 && account.receipts["R3"]?.earned == 900)
        try f.models.rebuild([CustomerSummaryProjector(), loyalty])
        #expect(try f.stored(CustomerSummaryProjector())["C1"].map { Array($0.categories) } == expected)
        #expect(try f.stored(loyalty)["C1"]?.earned == 1_800)
    }

    @Test("records round-trip through the binary form; a cut record is refused")
    func recordsRoundTrip() throws {
        var s = CustomerSummary()
        s.registeredAt = -5
        s.homeStore = "店-01"
        s.purchaseDays = [1, 2, 300]
        s.netSpend = -42
        s.categories = ["apparel", "鞋"]
        s.recentReceipts = [.init(receipt: "R1", at: 7, total: 8, day: 300)]
        s.unresolvedComplaintSince = ["CP-1": Int64.min]
        // A writer grows past its first buffer (256 bytes), keeping what it wrote; a number takes
        // one byte below 128, up to ten above.
        var big = RecordWriter()
        big.string(String(repeating: "长", count: 200))
        #expect(big.count == 2 + 600)
        let numbers: [UInt64] = [0, 127, 128, 16_383, 16_384, UInt64(UInt32.max), UInt64.max]
        for n in numbers { big.unsigned(n) }
        #expect(big.count == 2 + 600 + (1 + 1 + 2 + 2 + 3 + 5 + 10))
        big.withBytes { b in
            var r = RecordReader(b)
            #expect(r.string() == String(repeating: "长", count: 200))
            #expect(numbers.map { _ in r.unsigned() } == numbers)
            #expect(r.isComplete)
        }
        big.reset()
        #expect(big.count == 0)
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
