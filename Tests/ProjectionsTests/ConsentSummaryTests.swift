import Testing
import CustomerEvents
import Ledger
import LedgerJSON
import Projections
import TestSupport

@Suite("Marketing channels in the customer summary")
struct ConsentSummaryTests {
    /// Random runs of membership, profiling and marketing grants and withdrawals, for one channel or
    /// for every channel (no `channel`), on random days (recorded out of business-time order, often on the
    /// same day): the summary's membership, profiling and channels (the churn list's and the care agenda's)
    /// are exactly what `ConsentState` allows (the 360's and `clientele consent`'s answer).
    @Test("the summary's consents are those the consent fold allows, whatever order they were recorded in", arguments: [1 as UInt64, 2, 3, 4])
    func channelsAsConsentDecides(seed: UInt64) throws {
        let f = try Fixture("consent"); defer { f.remove() }
        var generator = SplitMix64(seed: seed)
        let channels: [String?] = [nil, "sms", "email", "wechat", "phone"]
        var docs: [JSONValue] = []
        for c in 0..<60 {
            for step in 0..<Int.random(in: 1...9, using: &generator) {
                let type = Bool.random(using: &generator) ? "ConsentGranted" : "ConsentWithdrawn"
                // Any purpose with or without a channel: a channel qualifies marketing only.
                let purpose = ["membership", "profiling", "marketing", "marketing", "marketing"].randomElement(using: &generator)!
                let channel = channels.randomElement(using: &generator)!
                let payload = #"{"purpose":"\#(purpose)",\#(channel.map { #""channel":"\#($0)","# } ?? "")"policyVersion":"v1"}"#
                // Days 1–4 at 10:00: decisions on one day tie on time and go by recorded order.
                let day = Int.random(in: 1...4, using: &generator)
                docs.append(try JSONParser.parse(#"{"type":"\#(type)","customer":"K\#(c)","store":"S1","actor":"staff-1","channel":"counter","occurredAt":"2026-11-0\#(day)T10:00:00+08:00","source":"t","externalId":"K\#(c)-\#(step)","payload":\#(payload)}"#))
            }
        }
        try f.append(docs)
        let summaries = try f.stored(CustomerSummaryProjector())
        var outOfOrder = 0, refusals = 0
        for c in 0..<60 {
            let id = "K\(c)"
            let listed = summaries[id]?.marketingChannels ?? []
            let shown = Set(listed.contains("*") ? ContactChannel.allCases.map(\.rawValue) : Array(listed))
            let consents = try f.ledger.consents(of: id)
            let allowed = Set(ContactChannel.allCases.filter { consents.decide(.marketing, channel: $0).allowed }.map(\.rawValue))
            #expect(shown == allowed, "\(id): \(Array(listed))")
            #expect((summaries[id]?.membership ?? false) == consents.decide(.membership).allowed, "\(id): membership")
            let profiling = consents.decide(.profiling)
            #expect((summaries[id]?.refusesProfiling ?? false) == (!profiling.allowed && profiling.reason.contains("withdrawn")), "\(id): profiling")
            for channel in ContactChannel.allCases {
                #expect(consents.decide(.profiling, channel: channel).allowed == profiling.allowed, "\(id): profiling asked for \(channel)")
                #expect(consents.decide(.membership, channel: channel).allowed == consents.decide(.membership).allowed, "\(id): membership asked for \(channel)")
            }
            if summaries[id]?.refusesProfiling == true { refusals += 1 }
            let days = docs.filter { $0["customer"]?.stringValue == id }.compactMap { $0["occurredAt"]?.stringValue }
            if days != days.sorted() { outOfOrder += 1 }
        }
        #expect(outOfOrder > 20, "most customers' decisions were recorded out of business-time order")
        #expect(refusals > 5, "some customers refuse profiling in the end")
    }

    /// A withdrawal that happened in March, recorded before a grant that happened in January: the
    /// withdrawal stands, in the consent answer and in the summary.
    @Test("a grant recorded after a later withdrawal does not undo it")
    func lateGrant() throws {
        let f = try Fixture("consent-late"); defer { f.remove() }
        func doc(_ type: String, _ at: String, _ id: String) throws -> JSONValue {
            try JSONParser.parse(#"{"type":"\#(type)","customer":"C-X","store":"S1","actor":"staff-1","channel":"counter","occurredAt":"\#(at)","source":"t","externalId":"\#(id)","payload":{"purpose":"marketing","channel":"sms","policyVersion":"v1"}}"#)
        }
        try f.append([try doc("ConsentWithdrawn", "2026-03-05T10:00:00+08:00", "w"), try doc("ConsentGranted", "2026-01-05T10:05:00+08:00", "g")])
        #expect(try !f.ledger.consents(of: "C-X").decide(.marketing, channel: .sms).allowed)
        #expect(try f.ledger.consents(of: "C-X", asOf: Timestamp(iso8601: "2026-02-01T00:00:00+08:00")).decide(.marketing, channel: .sms).allowed)
        #expect(try f.stored(CustomerSummaryProjector())["C-X"]?.marketingChannels.isEmpty == true)
    }
}
