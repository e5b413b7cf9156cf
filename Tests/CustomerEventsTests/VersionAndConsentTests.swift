import Testing
import CustomerEvents
import Ledger
import LedgerJSON
import SyntheticChain

@Suite("Versions, consent, generator")
struct VersionAndConsentTests {
    @Test("a stored PurchaseRecorded v1 reads back as v2, its bytes unchanged")
    func upcast() throws {
        let t = try TestLedger("upcast"); defer { t.remove() }
        try t.append(envelope("PurchaseRecorded", version: 1,
                              #"{"receipt":"R-2025-1","lines":[{"sku":"TS-221-M","name":"Linen shirt","quantity":1,"unitPrice":{"minor":29900,"currency":"CNY"}}],"total":{"minor":29900,"currency":"CNY"}}"#))
        let stored = try #require(try t.ledger.ledger.event(1))
        #expect(stored.schemaVersion == 1)
        #expect(!String(decoding: stored.payload, as: UTF8.self).contains("category"))
        let event = t.ledger.read(stored)
        #expect(event.schemaVersion == 2 && event.storedSchemaVersion == 1)
        let v2 = try event.decode(PurchaseRecordedV2.self)
        #expect(v2.lines[0].category == Upcasters.uncategorized)
        #expect(v2.total == Money(minor: 29900, currency: "CNY"))
        #expect(SchemaCatalog.builtIn.validate(type: "PurchaseRecorded", version: 2, payload: event.payload) == nil)
        // A v1 payload with a category is refused: v1 lines had none.
        let bad = t.ledger.appendAndWait([try JSONParser.parse(envelope("PurchaseRecorded", version: 1,
            #"{"receipt":"R2","lines":[{"sku":"A","category":"x","quantity":1,"unitPrice":{"minor":1,"currency":"CNY"}}],"total":{"minor":1,"currency":"CNY"}}"#))])
        if case .failure(let e) = bad[0] { #expect(e.path == "$.payload.lines[0].category") } else { Issue.record("accepted") }
    }

    @Test("consent: the latest grant or withdrawal per purpose and channel decides, as of any time")
    func consent() throws {
        let t = try TestLedger("consent"); defer { t.remove() }
        try t.append(
            envelope("ConsentGranted", at: "2026-01-01T10:00:00+08:00", #"{"purpose":"membership","policyVersion":"2026-01"}"#),
            envelope("ConsentGranted", at: "2026-01-01T10:01:00+08:00", #"{"purpose":"marketing","channel":"wechat","policyVersion":"2026-01"}"#),
            envelope("ConsentGranted", at: "2026-02-01T10:00:00+08:00", #"{"purpose":"marketing","channel":"sms","policyVersion":"2026-01"}"#),
            envelope("ConsentWithdrawn", at: "2026-03-01T10:00:00+08:00", #"{"purpose":"marketing","channel":"sms","policyVersion":"2026-01"}"#),
            envelope("ConsentWithdrawn", at: "2026-04-01T10:00:00+08:00", #"{"purpose":"marketing","policyVersion":"2026-01"}"#))
        func may(_ p: ConsentPurpose, _ c: ContactChannel?, _ at: String? = nil) throws -> Bool {
            try t.ledger.mayContact("C1", for: p, on: c, at: at.flatMap { Timestamp(iso8601: $0) }).allowed
        }
        #expect(try may(.membership, nil))
        // Profiling needs no opt-in: allowed until the customer objects (the read models score them so).
        let profiling = try t.ledger.mayContact("C1", for: .profiling)
        #expect(profiling.allowed && profiling.reason.hasPrefix("no objection to profiling on record"), "\(profiling)")
        #expect(try may(.marketing, .wechat, "2026-02-15T00:00:00+08:00"))
        #expect(try may(.marketing, .sms, "2026-02-15T00:00:00+08:00"))
        #expect(try !may(.marketing, .email, "2026-02-15T00:00:00+08:00"))
        #expect(try !may(.marketing, .sms, "2026-03-15T00:00:00+08:00"))
        #expect(try may(.marketing, .wechat, "2026-03-15T00:00:00+08:00"))
        #expect(try !may(.marketing, .wechat), "withdrawing marketing outright withdraws every channel")
        #expect(try !may(.marketing, .wechat, "2025-12-31T00:00:00+08:00"), "nothing before the first grant")
        let why = try t.ledger.mayContact("C1", for: .marketing, on: .sms)
        #expect(why.reason.contains("withdrawn on 2026-04-01"))
        try t.append(envelope("CustomerErased", #"{"reason":"ER-2"}"#))
        #expect(try !may(.membership, nil))
    }

    @Test("the generator is deterministic for a seed, and every event it makes passes the catalog")
    func generator() throws {
        func chain(_ seed: UInt64) -> [JSONValue] {
            var p = ChainParameters()
            p.customers = 300
            p.days = 200
            p.seed = seed
            var out: [JSONValue] = []
            ChainGenerator(p).run { out.append($0) }
            return out
        }
        let a = chain(7), b = chain(7), c = chain(8)
        #expect(a == b)
        #expect(a != c)
        #expect(a.count > 1_500)
        let t = try TestLedger("generated"); defer { t.remove() }
        let results = t.ledger.appendAndWait(a)
        for (doc, r) in zip(a, results) {
            if case .failure(let e) = r { Issue.record("\(e) in \(doc)"); break }
        }
        // Times never go backwards in the output.
        let times = a.compactMap { $0["occurredAt"]?.stringValue.flatMap { Timestamp(iso8601: $0)?.microseconds } }
        #expect(times == times.sorted())
        // Every type the chain should show appears.
        let types = Set(a.compactMap { $0["type"]?.stringValue })
        for t in ["CustomerRegistered", "ConsentGranted", "PurchaseRecorded", "ReturnRecorded", "VisitRecorded", "ComplaintFiled",
                  "ComplaintClosed", "CallbackLogged", "CareContactMade", "PointsEarned"] {
            #expect(types.contains(t), "no \(t)")
        }
        // Receipts are numbered as a POS numbers them: in the order they are rung up.
        let receipts = a.filter { $0["type"]?.stringValue == "PurchaseRecorded" }.compactMap { $0["payload"]?["receipt"]?.stringValue }
        #expect(receipts.count > 100 && receipts == receipts.sorted() && Set(receipts).count == receipts.count)
        // Returns, callbacks and complaints name receipts that were rung up.
        let returned = a.filter { $0["type"]?.stringValue == "ReturnRecorded" }.compactMap { $0["payload"]?["originalReceipt"]?.stringValue }
        #expect(!returned.isEmpty && Set(returned).isSubset(of: Set(receipts)))
        // Running it again adds nothing.
        #expect(t.ledger.appendAndWait(a).allSatisfy { (try? $0.get())?.duplicate == true })
    }
}
