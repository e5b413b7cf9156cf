import Foundation
import Testing
@testable import CustomerBase

@Suite("BG/NBD fit")
struct FitTests {
    /// 20,000 customers simulated from the paper's CDNOW parameters, T from 27 to 39 weeks as in
    /// CDNOW. (The CDNOW data itself is not in this repository: its terms of use are Fader &
    /// Hardie's, not ours to relicense; tools/validate-bgnbd.py fits it from the copy inside
    /// the lifetimes package and compares with the paper.)
    static let simulated = SimulatedCustomerBase(
        parameters: publishedCDNOW, customers: 20_000, ages: 27...39, seed: 2005)

    @Test("recovers the simulated parameters within sampling error")
    func recoversParameters() throws {
        let histories = try Self.simulated.histories()
        let tally = HistoryTally(histories)
        let fit = try BGNBDFitter().fit(tally)
        #expect(fit.gradientNorm <= 1e-5)
        #expect(fit.customerCount == 20_000)
        // Standard errors of the log-parameters from the observed information: the Hessian of
        // the log-likelihood by central differences of its analytic gradient.
        let objective = LogLikelihoodObjective(tally: tally, timeScale: 1)
        let p = fit.parameters
        let theta = SIMD4(log(p.r), log(p.alpha), log(p.a), log(p.b))
        var hessian = [[Double]](repeating: [Double](repeating: 0, count: 4), count: 4)
        for j in 0..<4 {
            var step = SIMD4<Double>(repeating: 0)
            step[j] = 1e-5
            let plus = objective.evaluate(theta + step).gradient, minus = objective.evaluate(theta - step).gradient
            for i in 0..<4 { hessian[i][j] = (plus[i] - minus[i]) / 2e-5 }
        }
        let covariance = try #require(Self.inverse(hessian.map { $0.map { -$0 } }))
        let truth = [publishedCDNOW.r, publishedCDNOW.alpha, publishedCDNOW.a, publishedCDNOW.b].map(log)
        for i in 0..<4 {
            let standardError = covariance[i][i].squareRoot()
            #expect(standardError > 0 && standardError < 0.2, "parameter \(i): se \(standardError)")
            #expect(abs(theta[i] - truth[i]) < 4 * standardError,
                    "parameter \(i): fitted \(exp(theta[i])), true \(exp(truth[i])), se(log) \(standardError)")
        }
    }

    @Test("the fit is a maximum: its log-likelihood is the model's, and any nudge lowers it")
    func isMaximum() throws {
        let tally = HistoryTally(try Self.simulated.histories().prefix(4_000))
        let fit = try BGNBDFitter().fit(tally)
        #expect(abs(fit.model.logLikelihood(tally) - fit.logLikelihood) < 1e-8 * abs(fit.logLikelihood))
        let p = fit.parameters
        for nudge in [(1.01, 1.0, 1.0, 1.0), (1.0, 0.99, 1.0, 1.0), (1.0, 1.0, 1.01, 1.0), (1.0, 1.0, 1.0, 0.99)] {
            let other = BGNBDModel(parameters: try BGNBDParameters(
                r: p.r * nudge.0, alpha: p.alpha * nudge.1, a: p.a * nudge.2, b: p.b * nudge.3))
            #expect(other.logLikelihood(tally) < fit.logLikelihood)
        }
    }

    @Test("the analytic gradient matches finite differences of the log-likelihood")
    func gradient() throws {
        let tally = HistoryTally(try Self.simulated.histories().prefix(2_000))
        let objective = LogLikelihoodObjective(tally: tally, timeScale: 3.9)
        let theta = SIMD4(log(0.4), log(1.3), log(1.2), log(3.1))
        let analytic = objective.evaluate(theta).gradient
        for i in 0..<4 {
            var step = SIMD4<Double>(repeating: 0)
            step[i] = 1e-6
            let numeric = (objective.evaluate(theta + step).value - objective.evaluate(theta - step).value) / 2e-6
            #expect(abs(numeric - analytic[i]) < 1e-5 * max(1, abs(analytic[i])), "∂/∂θ\(i): \(numeric) against \(analytic[i])")
        }
    }

    @Test("a tally fits like the customers it counts, in any time unit")
    func tallyAndUnits() throws {
        let histories = try Self.simulated.histories().prefix(3_000)
        let direct = try BGNBDFitter().fit(histories)
        var tally = HistoryTally()
        for h in histories { tally.add(h) }
        #expect(try BGNBDFitter().fit(tally) == direct)
        // Weeks → days: α is 7 times larger, r, a, b and P(alive) unchanged.
        let days = try BGNBDFitter().fit(histories.map { try CustomerHistory(frequency: $0.frequency, recency: $0.recency * 7, age: $0.age * 7) })
        #expect(abs(days.parameters.alpha / direct.parameters.alpha - 7) < 1e-5)
        #expect(abs(days.parameters.r / direct.parameters.r - 1) < 1e-5)
        #expect(abs(days.parameters.b / direct.parameters.b - 1) < 1e-5)
        let weeksAgain = try days.parameters.rescalingTime(by: 7)
        #expect(abs(weeksAgain.alpha / direct.parameters.alpha - 1) < 1e-5)
    }

    @Test("aggregating a million customers stays cheap: the work follows distinct histories")
    func aggregation() throws {
        var tally = HistoryTally()
        tally.add(history(0, 0, 30), count: 600_000)
        tally.add(history(1, 10, 30), count: 250_000)
        tally.add(history(3, 28, 30), count: 100_000)
        tally.add(history(2, 5, 30), count: 50_000)
        #expect(tally.customerCount == 1_000_000 && tally.repeatBuyerCount == 400_000 && tally.distinctHistoryCount == 4)
        let fit = try BGNBDFitter().fit(tally)
        #expect(fit.distinctHistoryCount == 4)
        #expect(fit.parameters.r > 0 && fit.parameters.alpha > 0)
    }

    @Test("data that cannot identify the model is refused with a typed error")
    func unidentifiable() throws {
        #expect(throws: BGNBDError.noCustomers) { try BGNBDFitter().fit([CustomerHistory]()) }
        #expect(throws: BGNBDError.noRepeatPurchases(customers: 3)) {
            try BGNBDFitter().fit([history(0, 0, 10), history(0, 0, 20), history(0, 0, 5)])
        }
        // Everyone bought on the last day of the window: no one ever looks gone, so the dropout
        // chance is driven to 0 (a → 0 or b → ∞).
        let neverLeaving = (1...40).map { history($0 % 5 + 1, Double(10 + $0), Double(10 + $0)) }
        #expect {
            try BGNBDFitter().fit(neverLeaving)
        } throws: { error in
            guard case .notIdentifiable(let parameter, _) = error as? BGNBDError else { return false }
            return parameter == "a" || parameter == "b"
        }
    }

    /// Gauss–Jordan inverse of a small matrix, or nil if singular.
    static func inverse(_ matrix: [[Double]]) -> [[Double]]? {
        let n = matrix.count
        var a = matrix.enumerated().map { i, row in row + (0..<n).map { $0 == i ? 1.0 : 0.0 } }
        for column in 0..<n {
            guard let pivot = (column..<n).max(by: { abs(a[$0][column]) < abs(a[$1][column]) }),
                  abs(a[pivot][column]) > 1e-300 else { return nil }
            a.swapAt(column, pivot)
            let scale = a[column][column]
            a[column] = a[column].map { $0 / scale }
            for row in 0..<n where row != column {
                let factor = a[row][column]
                a[row] = zip(a[row], a[column]).map { $0 - factor * $1 }
            }
        }
        return a.map { Array($0[n...]) }
    }
}
