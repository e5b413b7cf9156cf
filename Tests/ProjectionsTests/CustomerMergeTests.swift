import Testing
import CustomerEvents
import Ledger
import LedgerJSON
import Projections

/// Two records of one person: after `CustomersMerged` the other record's history counts under the
/// survivor in every reader that shows or ranks people; `CustomersUnmerged` undoes it.
@Suite("Customer merges")
struct CustomerMergeTests {
    static func event(_ type: String, _ payload: String, customer: String, at: String, id: String, channel: String = "counter") throws -> JSONValue {
        try JSONParser.parse(#"{"type":"\#(type)","customer":"\#(customer)","store":"S1","actor":"staff-1","channel":"\#(channel)","occurredAt":"\#(at)","source":"t","externalId":"\#(id)","payload":\#(payload)}"#)
    }
    static func purchase(_ customer: String, _ receipt: String, minor: Int, at: String) throws -> JSONValue {
        try event("PurchaseRecorded", #"{"receipt":"\#(receipt)","lines":[{"sku":"A","category":"apparel","quantity":1,"unitPrice":{"minor":\#(minor),"currency":"CNY"}}],"total":{"minor":\#(minor),"currency":"CNY"}}"#,
                  customer: customer, at: at, id: receipt)
    }

    @Test("the map follows chains, ignores cycles and self-merges, and an unmerge undoes only its own merge")
    func map() {
        let m = CustomerMerges(decisions: [("A", "B", true), ("B", "C", true), ("C", "A", true), ("D", "D", true)])
        #expect(m.survivors == ["B": "A", "C": "A"])
        #expect(m.groups == ["A": ["B", "C"]])
        #expect(m.members(of: "A") == ["A", "B", "C"] && m.survivor(of: "C") == "A" && m.survivor(of: "D") == "D")
        let undone = CustomerMerges(decisions: [("A", "B", true), ("B", "C", true), ("X", "B", false), ("A", "B", false)])
        #expect(undone.survivors == ["C": "B"] && undone.groups == ["B": ["C"]])
        let moved = CustomerMerges(decisions: [("A", "B", true), ("E", "B", true)])
        #expect(moved.survivors == ["B": "E"])
        // X into Z, Y into X; then X into Y would make X and Y each other's: ignored.
        let deep = CustomerMerges(decisions: [("Z", "X", true), ("X", "Y", true), ("Y", "X", true)])
        #expect(deep.survivors == ["X": "Z", "Y": "Z"] && deep.groups == ["Z": ["X", "Y"]])
        #expect(CustomerMerges(decisions: []).isEmpty)
    }

    /// A (registered, two purchases, SMS consent), B (registered with other details, one purchase,
    /// WeChat consent, later erased), and twenty others who bought, so the rankings have a population.
    static func ledger(_ name: String) throws -> Fixture {
        let f = try Fixture(name)
        var events: [JSONValue] = [
            try event("CustomerRegistered", #"{"name":"Li Na","ageBand":"30-39"}"#, customer: "A", at: "2026-01-05T10:00:00+08:00", id: "reg-a"),
            try event("ConsentGranted", #"{"purpose":"marketing","channel":"sms","policyVersion":"v1"}"#, customer: "A", at: "2026-01-05T10:01:00+08:00", id: "con-a"),
            try purchase("A", "RA1", minor: 20_000, at: "2026-02-01T10:00:00+08:00"),
            try purchase("A", "RA2", minor: 30_000, at: "2026-04-01T10:00:00+08:00"),
            try event("CustomerRegistered", #"{"name":"Li N.","ageBand":"40-49"}"#, customer: "B", at: "2026-03-01T10:00:00+08:00", id: "reg-b"),
            try event("ConsentGranted", #"{"purpose":"marketing","channel":"wechat","policyVersion":"v1"}"#, customer: "B", at: "2026-03-01T10:01:00+08:00", id: "con-b"),
            try purchase("B", "RB1", minor: 50_000, at: "2026-03-10T10:00:00+08:00"),
        ]
        for i in 0..<20 {
            events.append(try purchase("P\(i)", "RP\(i)a", minor: 1_000 * (i + 1), at: "2026-02-\(10 + i / 2)T10:00:00+08:00"))
            if i % 3 == 0 { events.append(try purchase("P\(i)", "RP\(i)b", minor: 500, at: "2026-05-\(10 + i / 2)T10:00:00+08:00")) }
        }
        try f.append(events)
        return f
    }

    @Test("after a merge the 360 of either record is the person's: both histories, the survivor's profile, both records' consents")
    func view() throws {
        let f = try Self.ledger("merge-view"); defer { f.remove() }
        let beforeMerge = try f.ledger.ledger.head().sequence
        try f.append([try Self.event("CustomersMerged", #"{"mergedCustomer":"B","reason":"same phone"}"#, customer: "A", at: "2026-06-01T10:00:00+08:00", id: "merge-1")])
        try f.models.catchUp(CustomerSummaryProjector())
        let config = ClienteleConfiguration()
        let a = try #require(try f.models.customerView("A", asOf: nil, configuration: config) { _, _, _ in nil })
        #expect(a.customer == "A" && a.requested == nil && a.mergedRecords == ["B"])
        #expect(a.summary.receipts == 3 && a.summary.netSpend == 100_000 && a.summary.purchaseDays.count == 3)
        #expect(a.loyalty.points == 1_000, "1 point a yuan over both records' receipts: \(a.loyalty)")
        #expect(a.profile.first { $0.0 == "ageBand" }?.1 == .string("30-39"), "the survivor's profile: \(a.profile)")
        let consents = Dictionary(uniqueKeysWithValues: a.consents.map { ($0.0, $0.1.allowed) })
        #expect(consents["marketing by sms"] == true && consents["marketing by wechat"] == true, "\(consents)")
        // The merged record answers with the person's view, saying so.
        let b = try #require(try f.models.customerView("B", asOf: nil, configuration: config) { _, _, _ in nil })
        #expect(b.customer == "A" && b.requested == "B" && b.summary.receipts == 3)
        // The same as of the head (folded from the log), and apart as of before the merge.
        let head = try f.ledger.ledger.head().sequence
        let scanned = try #require(try f.models.customerView("A", asOf: .sequence(head), configuration: config) { _, _, _ in nil })
        #expect(scanned.summary == a.summary && scanned.loyalty == a.loyalty && scanned.mergedRecords == ["B"])
        let earlier = try #require(try f.models.customerView("B", asOf: .sequence(beforeMerge), configuration: config) { _, _, _ in nil })
        #expect(earlier.customer == "B" && earlier.requested == nil && earlier.summary.receipts == 1)
        let byTime = try #require(try f.models.customerView("B", asOf: .time(Timestamp(iso8601: "2026-05-31T00:00:00+08:00")!), configuration: config) { _, _, _ in nil })
        #expect(byTime.customer == "B" && byTime.summary.receipts == 1)

        // One person, one set of consents: asked for either record, both records' decisions count,
        // and a withdrawal recorded on the survivor stops a channel granted on the merged record.
        let merges = try f.models.merges(asOf: nil)
        #expect(try merges.consents(of: "B", in: f.ledger).decide(.marketing, channel: .sms).allowed)
        try f.append([try Self.event("ConsentWithdrawn", #"{"purpose":"marketing","policyVersion":"v1"}"#, customer: "A", at: "2026-06-01T11:00:00+08:00", id: "withdraw-a")])
        #expect(try !merges.consents(of: "B", in: f.ledger).decide(.marketing, channel: .wechat).allowed)
        #expect(try f.ledger.consents(of: "B").decide(.marketing, channel: .wechat).allowed, "the record alone still says yes")
        #expect(try merges.consents(of: "B", in: f.ledger, sequence: beforeMerge).decide(.marketing, channel: .wechat).allowed,
                "as of a sequence number the decisions recorded by then")

        // Erasing the merged record erases its data only, not the person's record.
        try f.append([try Self.event("CustomerErased", #"{"reason":"asked"}"#, customer: "B", at: "2026-06-02T10:00:00+08:00", id: "erase-b", channel: "system")])
        try f.models.catchUp(CustomerSummaryProjector())
        let afterErasure = try #require(try f.models.customerView("A", asOf: nil, configuration: config) { _, _, _ in nil })
        #expect(!afterErasure.summary.erased && afterErasure.summary.receipts == 3)
    }

    @Test("rankings count the person once, with both histories; an unmerge parts them again")
    func rankings() throws {
        let f = try Self.ledger("merge-rank"); defer { f.remove() }
        let beforeMerge = try f.ledger.ledger.head().sequence
        try f.append([try Self.event("CustomersMerged", #"{"mergedCustomer":"B"}"#, customer: "A", at: "2026-06-01T10:00:00+08:00", id: "merge-1")])
        let (live, _) = try f.models.customerSummaries(asOf: nil)
        #expect(!live.contains { $0.0 == "B" } && live.count == 21)
        let a = try #require(live.first { $0.0 == "A" }?.1)
        #expect(a.receipts == 3 && a.netSpend == 100_000)
        #expect(zip(live, live.dropFirst()).allSatisfy { $0.0 < $1.0 }, "still in id order")
        // The one-customer ranking (the 360's) reads the same people as the full ranking.
        let (columns, _) = try f.models.rankingColumns(asOf: nil)
        #expect(columns.ids == live.map(\.0))
        let config = ClienteleConfiguration()
        let (now, all) = (Timestamp.now(), Segmentation.assign(live, now: Timestamp.now(), rules: config.segments))
        let one = try f.models.ranking(of: "A", summary: a, asOf: nil, configuration: config)
        #expect(one.segment == all["A"] && one.segment != nil, "\(String(describing: one.segment)) against \(String(describing: all["A"])) at \(now)")
        // As of before the merge, both are there with their own histories.
        let (before, _) = try f.models.customerSummaries(asOf: .sequence(beforeMerge))
        #expect(before.count == 22 && before.first { $0.0 == "A" }?.1.receipts == 2)
        let (asOfHead, _) = try f.models.customerSummaries(asOf: .sequence(try f.ledger.ledger.head().sequence))
        #expect(asOfHead.map(\.0) == live.map(\.0) && asOfHead.first { $0.0 == "A" }?.1 == a)
        // The care agenda's people are the same.
        let agenda = try f.models.careAgenda(configuration: config)
        #expect(!agenda.winBack.contains { $0.customer == "B" })

        try f.append([try Self.event("CustomersUnmerged", #"{"mergedCustomer":"B","reason":"different people"}"#, customer: "A", at: "2026-06-03T10:00:00+08:00", id: "unmerge-1")])
        let (parted, _) = try f.models.customerSummaries(asOf: nil)
        #expect(parted.count == 22 && parted.first { $0.0 == "A" }?.1.receipts == 2 && parted.first { $0.0 == "B" }?.1.receipts == 1)
        let b = try #require(try f.models.customerView("B", asOf: nil, configuration: config) { _, _, _ in nil })
        #expect(b.customer == "B" && b.requested == nil && b.summary.receipts == 1)
        var visited: [String] = []
        try f.models.visitCustomerSummaries { k, _ in visited.append(k) }
        #expect(visited == parted.map(\.0))
    }
}
