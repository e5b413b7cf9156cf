import Glibc

/// Fits BG/NBD by maximum likelihood (Fader, Hardie & Lee 2005).
///
/// The log-likelihood is maximised over (ln r, ln α, ln a, ln b), so every parameter stays
/// positive, by BFGS with analytic gradients, from up to three starting points: the search
/// stops once two of them agree on the optimum, otherwise the best wins. Times are first scaled so that the longest T is 10, as `lifetimes` does; α is
/// reported in the histories' own unit.
public struct BGNBDFitter: Sendable {
    /// Converged when no component of the gradient of the mean log-likelihood per customer
    /// with respect to the log-parameters exceeds this.
    public var gradientTolerance: Double
    /// The most BFGS iterations from one starting point.
    public var maxIterations: Int

    /// Starting points (ln r, ln α, ln a, ln b), α in scaled time (longest T = 10):
    /// `lifetimes`' all-ones start, then a customer base of rare, loyal buyers and one of
    /// frequent, fickle ones.
    static let starts: [SIMD4<Double>] = [
        SIMD4(0, 0, 0, 0),
        SIMD4(log(0.25), log(4), log(0.5), log(3)),
        SIMD4(log(2), log(0.5), log(2), log(1)),
    ]
    /// A fit whose |ln θ| ends beyond these (r, α scaled, a, b) has run off towards 0 or ∞.
    /// For a and b, e¹⁰ ≈ 22 000 already means a dropout chance known to be 0 (a → 0) or
    /// the same for everyone with no evidence for its size; for r and α, e¹⁸ ≈ 6.6·10⁷.
    static let identifiableBounds = SIMD4<Double>(18, 18, 10, 10)

    /// A fitter with these tolerances.
    public init(gradientTolerance: Double = 1e-8, maxIterations: Int = 500) {
        self.gradientTolerance = gradientTolerance
        self.maxIterations = maxIterations
    }

    /// Fits the model to these customers.
    /// - Throws: see `fit(_:)` taking a tally.
    /// - Complexity: O(n) to tally, then as for a tally.
    public func fit(_ histories: some Sequence<CustomerHistory>) throws(BGNBDError) -> BGNBDFit {
        try fit(HistoryTally(histories))
    }

    /// Fits the model to a tally of customers.
    /// - Throws: `BGNBDError.noCustomers` for an empty tally; `.noRepeatPurchases` when no one
    ///   bought on a second day; `.notIdentifiable` when the likelihood rises without end as a
    ///   parameter goes to 0 or ∞; `.didNotConverge` when no start met the tolerance.
    /// - Complexity: O(distinct histories) per likelihood evaluation; some tens of evaluations
    ///   per start.
    public func fit(_ tally: HistoryTally) throws(BGNBDError) -> BGNBDFit {
        guard tally.customerCount > 0 else { throw .noCustomers }
        guard tally.repeatBuyerCount > 0 else { throw .noRepeatPurchases(customers: tally.customerCount) }
        let longest = tally.counts.keys.lazy.map(\.age).max() ?? 0
        let timeScale = longest / 10
        let objective = LogLikelihoodObjective(tally: tally, timeScale: timeScale)
        let n = objective.totalWeight
        let minimizer = BFGSMinimizer(gradientTolerance: gradientTolerance, maxIterations: maxIterations, bound: 25)
        var best: BFGSMinimizer.Result?
        var evaluations = 0
        for start in Self.starts {
            let run = minimizer.minimize(from: start) { theta in
                let (ll, gradient) = objective.evaluate(theta)
                return (-ll / n, -gradient / n)
            }
            evaluations += run.evaluations
            guard run.value.isFinite else { continue }
            if let current = best, current.converged, run.converged,
               abs(run.value - current.value) <= 1e-10 * max(1, abs(current.value)) {
                // Two starts found the same optimum: the remaining starts would too.
                if Self.isBetter(run, than: current) { best = run }
                break
            }
            if let current = best, !Self.isBetter(run, than: current) { continue }
            best = run
        }
        guard let run = best else {
            throw .didNotConverge(iterations: maxIterations, logLikelihood: -.infinity, gradientNorm: .infinity)
        }
        let logLikelihood = objective.unscaledLogLikelihood(-run.value * n)
        let names = ["r", "alpha", "a", "b"]
        for i in 0..<4 where abs(run.point[i]) > Self.identifiableBounds[i] {
            let value = exp(run.point[i]) * (i == 1 ? timeScale : 1)
            throw .notIdentifiable(parameter: names[i], value: value)
        }
        guard run.converged else {
            throw .didNotConverge(iterations: run.iterations, logLikelihood: logLikelihood, gradientNorm: run.gradientNorm)
        }
        let parameters = try BGNBDParameters(
            r: exp(run.point[0]), alpha: exp(run.point[1]) * timeScale, a: exp(run.point[2]), b: exp(run.point[3]))
        return BGNBDFit(
            model: BGNBDModel(parameters: parameters), logLikelihood: logLikelihood,
            iterations: run.iterations, evaluations: evaluations, gradientNorm: run.gradientNorm,
            customerCount: tally.customerCount, distinctHistoryCount: tally.distinctHistoryCount)
    }

    /// A converged run beats one that did not converge; otherwise the higher likelihood wins,
    /// and between likelihoods equal to rounding, the smaller gradient.
    static func isBetter(_ run: BFGSMinimizer.Result, than other: BFGSMinimizer.Result) -> Bool {
        if run.converged != other.converged { return run.converged }
        if abs(run.value - other.value) <= 1e-12 * max(1, abs(other.value)) {
            return run.gradientNorm < other.gradientNorm
        }
        return run.value < other.value
    }
}

/// The result of a BG/NBD fit: the model, and how the optimiser got there.
public struct BGNBDFit: Hashable, Sendable {
    /// The fitted model.
    public let model: BGNBDModel
    /// The maximised log-likelihood, summed over customers, in the histories' time unit
    /// (comparable with Fader, Hardie & Lee's −9582.4 for CDNOW in weeks).
    public let logLikelihood: Double
    /// BFGS iterations of the winning start.
    public let iterations: Int
    /// Likelihood-and-gradient evaluations over all starts: the cost of the fit.
    public let evaluations: Int
    /// The largest gradient component of the mean log-likelihood per customer, with respect
    /// to the log-parameters, at the optimum.
    public let gradientNorm: Double
    /// Customers fitted.
    public let customerCount: Int
    /// Distinct (x, t_x, T) among them: the size of the fit's work.
    public let distinctHistoryCount: Int

    /// The fitted parameters.
    public var parameters: BGNBDParameters { model.parameters }
}
