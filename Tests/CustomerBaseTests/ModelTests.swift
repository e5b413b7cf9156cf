import Foundation
import Testing
@testable import CustomerBase

@Suite("BG/NBD predictions")
struct ModelTests {
    static let cdnow = BGNBDModel(parameters: try! BGNBDParameters(
        r: publishedCDNOW.r, alpha: publishedCDNOW.alpha, a: publishedCDNOW.a, b: publishedCDNOW.b))

    struct Reference: Sendable, CustomTestStringConvertible {
        var x: Int, tx: Double, T: Double
        var alive: Double
        /// Expected purchases in the next 1, 39 and 156 weeks.
        var expected: [Double]
        var testDescription: String { "(x \(x), t_x \(tx), T \(T))" }
    }

    /// Printed by lifetimes 0.11.3 (scipy 1.17.1) with `BetaGeoFitter().params_` set to the paper's
    /// CDNOW parameters (r 0.243, α 4.414, a 0.793, b 2.426), from
    /// `conditional_probability_alive(x, t_x, T)` and
    /// `conditional_expected_number_of_purchases_up_to_time(t, x, t_x, T)` for t = 1, 39, 156;
    /// the first three histories are CDNOW customers 1–3.
    static let lifetimes: [Reference] = [
        Reference(x: 2, tx: 30.43, T: 38.86, alive: 0.726578570080673,
                  expected: [0.037447969741730654, 1.226028174767135, 3.5519589030738024]),
        Reference(x: 1, tx: 1.71, T: 38.86, alive: 0.2121009853773791,
                  expected: [0.0060629517982834545, 0.20318698707975183, 0.6098635160852286]),
        Reference(x: 0, tx: 0, T: 38.86, alive: 1,
                  expected: [0.005595657889482763, 0.19509805201125396, 0.6260798561843497]),
        Reference(x: 7, tx: 29.43, T: 35.38, alive: 0.7667801199600149,
                  expected: [0.13845544710000368, 4.267756020724371, 11.475219454291112]),
        Reference(x: 26, tx: 30.86, T: 31.0, alive: 0.968915649717525,
                  expected: [0.7106209373347258, 20.7497261408577, 52.92703403584736]),
        Reference(x: 100, tx: 30.0, T: 32.0, alive: 0.30758132199628846,
                  expected: [0.8378309777955387, 24.337245417729218, 61.786480474146444]),
        Reference(x: 3, tx: 5.0, T: 38.0, alive: 0.040613381479274686,
                  expected: [0.003085717977942927, 0.09917798792412623, 0.2802353079842237]),
    ]

    @Test("P(alive) and expected purchases agree with lifetimes", arguments: lifetimes)
    func agreesWithLifetimes(_ reference: Reference) {
        let h = history(reference.x, reference.tx, reference.T)
        #expect(abs(Self.cdnow.probabilityAlive(h) - reference.alive) < 1e-12)
        for (t, expected) in zip([1.0, 39, 156], reference.expected) {
            let value = Self.cdnow.expectedPurchases(in: t, given: h)
            #expect(abs(value - expected) <= 1e-9 * expected, "t=\(t): \(value) against \(expected)")
        }
    }

    @Test("P(alive) is 1 without a repeat purchase, whatever the time since")
    func aliveWithoutRepeat() {
        for T in [0.0, 1, 39, 1e6] {
            #expect(Self.cdnow.probabilityAlive(history(0, 0, T)) == 1)
        }
    }

    /// Printed by lifetimes 0.11.3 (scipy 1.17.1): `ModifiedBetaGeoFitter().params_` set to the
    /// paper's CDNOW parameters, `conditional_probability_alive(x, t_x, T)`.
    static let modifiedLifetimes: [(x: Int, tx: Double, T: Double, alive: Double)] = [
        (0, 0, 0, 0.753650201926064), (0, 0, 1, 0.7443217523308507), (0, 0, 38.86, 0.6372533379648954),
        (0, 0, 500, 0.4916738115813618), (2, 30.43, 38.86, 0.7744192426236461),
        (7, 29.43, 35.38, 0.7862332522290917), (100, 30, 32, 0.3096747807105867),
    ]

    @Test("P(alive) counting the first purchase as a chance to leave agrees with lifetimes' MBG/NBD")
    func aliveCountingFirstPurchase() {
        for r in Self.modifiedLifetimes {
            let value = Self.cdnow.probabilityAliveCountingFirstPurchase(history(r.x, r.tx, r.T))
            #expect(abs(value - r.alive) < 1e-12, "(x \(r.x), t_x \(r.tx), T \(r.T)): \(value) against \(r.alive)")
        }
        // A one-time buyer's chance falls as the wait for a second purchase grows.
        let overT = stride(from: 0.0, through: 400, by: 20).map { Self.cdnow.probabilityAliveCountingFirstPurchase(history(0, 0, $0)) }
        #expect(zip(overT, overT.dropFirst()).allSatisfy { $0 > $1 }, "\(overT)")
    }

    @Test("P(alive) falls as time passes without a purchase, and rises with a later last purchase")
    func aliveMonotone() {
        for x in [1, 2, 5, 30] {
            let overT = stride(from: 10.0, through: 200, by: 10).map { Self.cdnow.probabilityAlive(history(x, 10, $0)) }
            #expect(zip(overT, overT.dropFirst()).allSatisfy { $0 > $1 }, "x=\(x): \(overT)")
            let overTx = stride(from: 1.0, through: 40, by: 3).map { Self.cdnow.probabilityAlive(history(x, $0, 40)) }
            #expect(zip(overTx, overTx.dropFirst()).allSatisfy { $0 < $1 }, "x=\(x): \(overTx)")
            #expect(abs(Self.cdnow.probabilityAlive(history(x, 40, 40)) - 1 / (1 + 0.793 / (2.426 + Double(x) - 1))) < 1e-15)
        }
    }

    @Test("expected purchases: 0 over no time, increasing with the horizon, smooth across a = 1")
    func expectedPurchasesShape() throws {
        let h = history(4, 20, 35)
        #expect(Self.cdnow.expectedPurchases(in: 0, given: h) == 0)
        let curve = [0.5, 1, 5, 20, 39, 80, 156, 520, 5200].map { Self.cdnow.expectedPurchases(in: $0, given: h) }
        #expect(zip(curve, curve.dropFirst()).allSatisfy { $0 < $1 }, "\(curve)")
        // Through a = 1 the formula's factor 1/(a − 1) has a removable singularity: the value must
        // move smoothly (here, by less than 1e-3 per 1e-4 of a), on both the short-horizon series
        // and the long-horizon ₂F₁ paths.
        for t in [2.0, 156] {
            let values = try [0.9998, 0.99996, 0.99999, 1, 1.00001, 1.00004, 1.0002].map { a in
                try BGNBDModel(parameters: BGNBDParameters(r: 0.243, alpha: 4.414, a: a, b: 2.426))
                    .expectedPurchases(in: t, given: h)
            }
            for (one, two) in zip(values, values.dropFirst()) {
                #expect(abs(one - two) < 1e-3 * one, "t=\(t): \(values)")
            }
        }
    }

    @Test("at a = b = r = 1 and x = 0 the expectation has a closed form: ln(1 + t/(α+T))")
    func closedFormAtAEqualOne() throws {
        // The series Σ (−1)ⁿ⁺¹ (r)ₙ (a)ₙ₋₁ / ((a+b)ₙ₋₁ n!) uⁿ with r = a = b = 1 is Σ (−1)ⁿ⁺¹ uⁿ/n.
        // t = 100 takes the ₂F₁ path (u > ½), interpolated around a = 1.
        let model = BGNBDModel(parameters: try BGNBDParameters(r: 1, alpha: 3, a: 1, b: 1))
        for t in [0.5, 2, 10, 100] {
            let expected = log1p(t / (3 + 5))
            #expect(abs(model.expectedPurchases(in: t, given: history(0, 0, 5)) - expected) < 1e-10 * expected)
        }
    }

    @Test("log-likelihood of one history matches the paper's formula written out")
    func logLikelihood() {
        let h = history(2, 30.43, 38.86)
        let (r, alpha, a, b) = publishedCDNOW
        let x = 2.0, tx = 30.43, T = 38.86
        let beta = { (p: Double, q: Double) in exp(lgamma(p) + lgamma(q) - lgamma(p + q)) }
        let expected = lgamma(r + x) - lgamma(r) + r * log(alpha) - (r + x) * log(alpha + T)
            + log(beta(a, b + x) / beta(a, b) + beta(a + 1, b + x - 1) / beta(a, b) * pow((alpha + T) / (alpha + tx), r + x))
        #expect(abs(Self.cdnow.logLikelihood(h) - expected) < 1e-12)
    }

    @Test("churn bands: low < 33 %, high > 66 %, thresholds as parameters")
    func bands() throws {
        let standard = ChurnRiskBands.standard
        #expect(standard.band(forRisk: 0) == .low)
        #expect(standard.band(forRisk: 0.3299) == .low)
        #expect(standard.band(forRisk: 0.33) == .medium)
        #expect(standard.band(forRisk: 0.66) == .medium)
        #expect(standard.band(forRisk: 0.6601) == .high)
        let strict = try ChurnRiskBands(lowBelow: 0.1, highAbove: 0.5)
        #expect(strict.band(forRisk: 0.2) == .medium)
        #expect(strict.band(forRisk: 0.55) == .high)
        #expect(throws: BGNBDError.invalidBandThresholds(lowBelow: 0.7, highAbove: 0.5)) {
            try ChurnRiskBands(lowBelow: 0.7, highAbove: 0.5)
        }
        let risk = Self.cdnow.churnRisk(history(1, 1.71, 38.86))
        #expect(abs(risk.risk - (1 - 0.2121009853773791)) < 1e-12)
        #expect(risk.band == .high)
        #expect(Self.cdnow.churnRisk(history(0, 0, 38.86)).band == .low)
        #expect(ChurnRiskBand.low < ChurnRiskBand.medium && ChurnRiskBand.medium < ChurnRiskBand.high)
    }
}
