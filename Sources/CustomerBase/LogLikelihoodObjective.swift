import Glibc

/// The BG/NBD log-likelihood of a tally and its gradient, over log-parameters, laid out for
/// speed: histories grouped by x, so the gamma and digamma terms that depend only on x are
/// computed once per distinct x, and each history costs two logarithms, one exponential and
/// one log1p.
///
/// Times are divided by `timeScale` (as `lifetimes` does, so that α starts near 1 whatever the
/// unit); `value` is in scaled units and `unscaledLogLikelihood` converts it back.
struct LogLikelihoodObjective: Sendable {
    /// The histories of one x, as a range of the row arrays.
    struct Group: Sendable {
        var x: Double
        var weight: Double
        var rows: Range<Int>
    }

    let groups: [Group]
    let recency: [Double]
    let age: [Double]
    let weight: [Double]
    let totalWeight: Double
    let timeScale: Double
    /// Σ weight · x, for undoing the time scale in the log-likelihood.
    let weightedFrequency: Double

    init(tally: HistoryTally, timeScale: Double) {
        let sorted = tally.counts.sorted { lhs, rhs in
            (lhs.key.frequency, lhs.key.age, lhs.key.recency) < (rhs.key.frequency, rhs.key.age, rhs.key.recency)
        }
        var groups: [Group] = []
        var recency: [Double] = [], age: [Double] = [], weight: [Double] = []
        recency.reserveCapacity(sorted.count)
        age.reserveCapacity(sorted.count)
        weight.reserveCapacity(sorted.count)
        var weightedFrequency = 0.0
        for (history, count) in sorted {
            let x = Double(history.frequency)
            if groups.last?.x != x {
                groups.append(Group(x: x, weight: 0, rows: recency.count..<recency.count))
            }
            recency.append(history.recency / timeScale)
            age.append(history.age / timeScale)
            weight.append(Double(count))
            groups[groups.count - 1].weight += Double(count)
            groups[groups.count - 1].rows = groups[groups.count - 1].rows.lowerBound..<recency.count
            weightedFrequency += Double(count) * x
        }
        self.groups = groups
        self.recency = recency
        self.age = age
        self.weight = weight
        self.totalWeight = Double(tally.customerCount)
        self.timeScale = timeScale
        self.weightedFrequency = weightedFrequency
    }

    /// The log-likelihood in the original time unit, from its value in scaled units.
    ///
    /// With times and α divided by s, r ln α − (r+x) ln(α+T) gains −r ln s + (r+x) ln s = x ln s
    /// and the rest is unchanged, so the original is the scaled one less Σ x ln s.
    func unscaledLogLikelihood(_ scaled: Double) -> Double {
        scaled - weightedFrequency * log(timeScale)
    }

    /// The total log-likelihood (scaled units) at θ = (ln r, ln α, ln a, ln b), and its
    /// gradient with respect to θ.
    func evaluate(_ theta: SIMD4<Double>) -> (value: Double, gradient: SIMD4<Double>) {
        let r = exp(theta[0]), alpha = exp(theta[1]), a = exp(theta[2]), b = exp(theta[3])
        let lg = SpecialFunctions.logGamma, psi = SpecialFunctions.digamma
        let logAlpha = log(alpha)
        let lgR = lg(r), psiR = psi(r)
        let lgAB = lg(a + b), psiAB = psi(a + b), lgB = lg(b), psiB = psi(b)
        var ll = 0.0, gR = 0.0, gAlpha = 0.0, gA = 0.0, gB = 0.0
        for group in groups {
            let x = group.x, w = group.weight, rx = r + x
            // Terms that depend on x only: ln Γ(r+x) − ln Γ(r) + r ln α, and the Beta ratio.
            ll += w * (lg(rx) - lgR + r * logAlpha)
            gR += w * (psi(rx) - psiR + logAlpha)
            gAlpha += w * r / alpha
            if x == 0 {
                // ln of the bracket is 0: only −r ln(α+T) remains.
                var sumLogAge = 0.0, sumAlpha = 0.0
                for i in group.rows {
                    let ageTerm = alpha + age[i]
                    sumLogAge += weight[i] * log(ageTerm)
                    sumAlpha += weight[i] / ageTerm
                }
                ll -= rx * sumLogAge
                gR -= sumLogAge
                gAlpha -= rx * sumAlpha
                continue
            }
            let lgABx = lg(a + b + x), psiABx = psi(a + b + x)
            ll += w * (lgAB + lg(b + x) - lgB - lgABx)
            gA += w * (psiAB - psiABx)
            gB += w * (psiAB + psi(b + x) - psiB - psiABx)
            let logDeathFactor = log(a) - log(b + x - 1)
            var sumLL = 0.0, sumR = 0.0, sumAlpha = 0.0, sumDeath = 0.0
            for i in group.rows {
                let ageTerm = alpha + age[i], recencyTerm = alpha + recency[i]
                let logAge = log(ageTerm), logRecency = log(recencyTerm)
                // ln[e^A3 + e^A4] with A3 = −(r+x) ln(α+T), A4 = ln a − ln(b+x−1) − (r+x) ln(α+t_x):
                // A3 + softplus(d), d = A4 − A3; and the weight of the second term, sigmoid(d).
                let d = logDeathFactor + rx * (logAge - logRecency)
                let e = exp(-abs(d))
                let softplus = max(d, 0) + log1p(e)
                let death = d > 0 ? 1 / (1 + e) : e / (1 + e)
                let wi = weight[i]
                sumLL += wi * (softplus - rx * logAge)
                sumR -= wi * ((1 - death) * logAge + death * logRecency)
                sumAlpha += wi * ((1 - death) / ageTerm + death / recencyTerm)
                sumDeath += wi * death
            }
            ll += sumLL
            gR += sumR
            gAlpha -= rx * sumAlpha
            gA += sumDeath / a
            gB -= sumDeath / (b + x - 1)
        }
        return (ll, SIMD4(r * gR, alpha * gAlpha, a * gA, b * gB))
    }
}
