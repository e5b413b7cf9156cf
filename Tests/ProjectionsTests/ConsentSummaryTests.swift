import Testing
import CustomerEvents
import Ledger
import LedgerJSON
import Projections
import TestSupport

@Suite("Marketing channels in the customer summary")
struct ConsentSummaryTests {
    /// Random runs of marketing grants and withdrawals, for one channel or for every channel (no
    /// `channel`): the channels the summary lists (the churn list's and the care agenda's) are
    /// exactly those `ConsentState` allows (the 360's and `clientele consent`'s answer).
    @Test("the summary's channels are those the consent fold allows", arguments: [1 as UInt64, 2, 3])
    func channelsAsConsentDecides(seed: UInt64) throws {
        let f = try Fixture("consent"); defer { f.remove() }
        var generator = SplitMix64(seed: seed)
        let channels: [String?] = [nil, "sms", "email", "wechat", "phone"]
        var docs: [JSONValue] = []
        for c in 0..<40 {
            for step in 0..<Int.random(in: 1...8, using: &generator) {
                let type = Bool.random(using: &generator) ? "ConsentGranted" : "ConsentWithdrawn"
                let channel = channels.randomElement(using: &generator)!
                let payload = #"{"purpose":"marketing",\#(channel.map { #""channel":"\#($0)","# } ?? "")"policyVersion":"v1"}"#
                docs.append(try CustomerViewTests.event(type, payload, customer: "K\(c)", id: "K\(c)-\(step)"))
            }
        }
        try f.append(docs)
        let summaries = try f.stored(CustomerSummaryProjector())
        for c in 0..<40 {
            let id = "K\(c)"
            let listed = summaries[id]?.marketingChannels ?? []
            let shown = Set(listed.contains("*") ? ContactChannel.allCases.map(\.rawValue) : Array(listed))
            let consents = try f.ledger.consents(of: id)
            let allowed = Set(ContactChannel.allCases.filter { consents.decide(.marketing, channel: $0).allowed }.map(\.rawValue))
            #expect(shown == allowed, "\(id): \(Array(listed))")
        }
    }
}
