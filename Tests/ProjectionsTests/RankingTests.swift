import Testing
import CustomerEvents
import Ledger
import LedgerJSON
import Projections

@Suite("Ranking one customer among all")
struct RankingTests {
    /// One customer's segment and churn risk, ranked from the stored summaries' columns (or, as of
    /// a point, from the folded ones), equal what ranking every customer from their whole summaries
    /// gives them: the same RFM ranks (ties by id order), the same fit, the same assessment.
    @Test("each customer's segment and churn risk equal those of ranking every customer", arguments: [false, true])
    func oneEqualsAll(earlier: Bool) throws {
        let f = try Fixture("ranking"); defer { f.remove() }
        let chain = f.chain(customers: 400, days: 300, seed: 31)
        try f.append(chain)
        // Live (the stored model's columns), or as of four fifths of the log (folded summaries).
        let point = earlier ? AsOf.sequence(UInt64(chain.count * 4 / 5)) : nil
        var configuration = ClienteleConfiguration()
        configuration.segments.rfmLevels = 4 // not the default, so that the levels are passed through
        let (all, now) = try f.models.snapshot(CustomerSummaryProjector(), asOf: point)
        let segments = Segmentation.assign(all, now: now, rules: configuration.segments)
        let churn = try ChurnModel.assess(all, now: now, configuration: configuration)
        var byCustomer: [String: ChurnAssessment] = [:]
        for a in churn.assessments { byCustomer[a.customer] = a }
        #expect(all.count > 300 && churn.assessments.count > 200)
        // Customers whose every purchase was refunded are prospects: fitted, not assessed.
        let refunded = all.filter { $0.1.receipts > 0 && $0.1.netSpend <= 0 }.map(\.0)
        #expect(!refunded.isEmpty && refunded.allSatisfy { byCustomer[$0] == nil }, "\(refunded)")
        var compared = 0
        // Every fifth customer (each as-of ranking folds the log again), the first and the last.
        for (i, (id, summary)) in all.enumerated() where i % 5 == 0 || i == all.count - 1 {
            let one = try f.models.ranking(of: id, summary: summary, asOf: point, configuration: configuration)
            #expect(one.segment == segments[id], "segment of \(id)")
            #expect(one.churn == byCustomer[id], "churn risk of \(id)")
            compared += 1
        }
        #expect(compared >= all.count / 5)
        #expect(try f.models.ranking(of: "no-such-customer", summary: CustomerSummary(), asOf: point, configuration: configuration) == (nil, nil))
    }
}

@Suite("Consent to profiling")
struct ProfilingConsentTests {
    /// Every fourth buyer withdraws consent to profiling. The first of them had granted it again a
    /// day later, recorded before the withdrawal: by business time the grant stands. The others
    /// keep their figures and VIP / regular kind, but have no RFM scores and no churn risk; they
    /// are not in the population either (everyone else's scores are those of ranking without them).
    @Test("a customer who withdrew consent to profiling is not ranked or assessed, live and as of a point", arguments: [false, true])
    func withdrawnProfiling(folded: Bool) throws {
        let f = try Fixture("profiling"); defer { f.remove() }
        try f.append(f.chain(customers: 300, days: 300, seed: 32))
        let (before, _) = try f.models.snapshot(CustomerSummaryProjector(), asOf: nil)
        let buyers = before.filter { $0.1.receipts > 0 && $0.1.netSpend > 0 }.map(\.0)
        let withdrawing = buyers.enumerated().filter { $0.offset % 4 == 0 }.map(\.element)
        let regranted = withdrawing[0]
        func consent(_ type: String, _ id: String, on day: String) throws -> JSONValue {
            try JSONParser.parse(#"{"type":"\#(type)","customer":"\#(id)","store":"S1","actor":"staff-1","channel":"counter","occurredAt":"2026-06-\#(day)T10:00:00+08:00","source":"t","externalId":"\#(id)-\#(type)","payload":{"purpose":"profiling","policyVersion":"v1"}}"#)
        }
        try f.append([try consent("ConsentGranted", regranted, on: "02")] + withdrawing.map { try consent("ConsentWithdrawn", $0, on: "01") })
        let refusing = Set(withdrawing.dropFirst())
        let point = folded ? AsOf.sequence(try f.ledger.ledger.head().sequence) : nil
        let (all, now) = try f.models.snapshot(CustomerSummaryProjector(), asOf: point)
        for (id, s) in all {
            #expect(s.refusesProfiling == refusing.contains(id), "\(id)")
            #expect(try f.ledger.consents(of: id).decide(.profiling).allowed == !refusing.contains(id), "\(id)")
        }
        let configuration = ClienteleConfiguration()
        let segments = Segmentation.assign(all, now: now, rules: configuration.segments)
        let without = Segmentation.assign(all.filter { !refusing.contains($0.0) }, now: now, rules: configuration.segments)
        for (id, s) in all {
            if refusing.contains(id) {
                #expect(segments[id] == SegmentAssignment(kind: Segmentation.kind(of: s, rules: configuration.segments), rfm: nil, rfmSegment: nil), "\(id)")
                #expect(segments[id]?.kind != .potential)
            } else {
                #expect(segments[id] == without[id], "\(id)")
            }
        }
        #expect(segments[regranted]?.rfm != nil)
        let churn = try ChurnModel.assess(all, now: now, configuration: configuration).assessments
        #expect(churn.count > 100 && !churn.contains { refusing.contains($0.customer) })
        #expect(churn.contains { $0.customer == regranted })
        // One customer's 360 ranks them the same way.
        for id in withdrawing.prefix(4) + buyers.prefix(3) {
            let summary = try #require(all.first { $0.0 == id }?.1)
            let one = try f.models.ranking(of: id, summary: summary, asOf: point, configuration: configuration)
            #expect(one.segment == segments[id], "segment of \(id)")
            #expect(one.churn == churn.first { $0.customer == id }, "churn risk of \(id)")
        }
    }
}
