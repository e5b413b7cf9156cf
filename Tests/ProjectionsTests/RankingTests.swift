import Testing
import Ledger
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
