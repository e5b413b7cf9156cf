import Glibc

/// A fitted (or given) BG/NBD model: what it says about one customer.
///
/// Fader, Hardie & Lee (2005), "Counting your customers the easy way: an alternative to the
/// Pareto/NBD model", Marketing Science 24(2). Equation numbers below are theirs.
public struct BGNBDModel: Hashable, Sendable {
    /// The model's parameters, in the time unit of the histories it is asked about.
    public let parameters: BGNBDParameters

    /// A model with these parameters.
    public init(parameters: BGNBDParameters) {
        self.parameters = parameters
    }

    /// The chance that the customer has not dropped out by the end of the observation window.
    ///
    /// P(alive | x, t_x, T) = 1 / (1 + δ(x>0) · a/(b + x − 1) · ((α + T)/(α + t_x))^(r + x))
    /// (eq. 13). A customer with no repeat purchase is alive for sure: in BG/NBD a customer
    /// can drop out only right after a purchase, and the first one is not a chance to drop.
    public func probabilityAlive(_ history: CustomerHistory) -> Double {
        guard history.frequency > 0 else { return 1 }
        return 1 / (1 + exp(logDeathOdds(history)))
    }

    /// The chance that the customer has not dropped out, were the first purchase, like each repeat
    /// one, a chance to drop out: MBG/NBD's P(alive | x, t_x, T) = 1 / (1 + a/(b + x) ·
    /// ((α + T)/(α + t_x))^(r + x)) (Batislam, Denizel & Filiztekin 2007, as lifetimes'
    /// `ModifiedBetaGeoFitter` computes it), with this model's parameters.
    ///
    /// For the customers BG/NBD cannot see leave: one who never bought again is alive for sure by
    /// `probabilityAlive(_:)`, however long ago the one purchase was, and most of a store's
    /// customers bought once. Here the chance falls as the wait for a second purchase grows.
    public func probabilityAliveCountingFirstPurchase(_ history: CustomerHistory) -> Double {
        let p = parameters
        let x = Double(history.frequency)
        let gap = (history.age - history.recency) / (p.alpha + history.recency)
        return 1 / (1 + exp(log(p.a) - log(p.b + x) + (p.r + x) * log1p(gap)))
    }

    /// The risk that the customer has churned, 1 − P(alive), with its band.
    public func churnRisk(_ history: CustomerHistory, bands: ChurnRiskBands = .standard) -> ChurnRisk {
        ChurnRisk(probabilityAlive: probabilityAlive(history), bands: bands)
    }

    /// The expected number of purchases in the next `duration` time units after the end of
    /// the observation window, given the customer's history (eq. 10):
    ///
    /// E[Y(t) | x, t_x, T] = (a + b + x − 1)/(a − 1) · [1 − ((α+T)/(α+T+t))^(r+x)
    ///     · ₂F₁(r + x, b + x; a + b + x − 1; t/(α+T+t))] / (1 + δ(x>0) · a/(b+x−1) · ((α+T)/(α+t_x))^(r+x))
    ///
    /// By Pfaff's transformation the bracket is 1 − ₂F₁(r + x, a − 1; a + b + x − 1; −t/(α+T)).
    /// Written as a series in u = t/(α+T), the factor (a + b + x − 1)/(a − 1) cancels:
    /// Σₙ₌₁ (−1)ⁿ⁺¹ (r+x)ₙ (a)ₙ₋₁ / ((a+b+x)ₙ₋₁ n!) uⁿ, which has no trouble at a = 1 and is used
    /// whenever its terms shrink at least twofold. Otherwise (a long horizon against α + T)
    /// ₂F₁ is evaluated in general; within 10⁻³ of a = 1, where the factor 1/(a − 1) would
    /// cost digits, the value is interpolated by the cubic through a = 1 ± 10⁻³, 1 ± 2·10⁻³
    /// (error O(10⁻¹²)).
    /// - Parameter duration: t ≥ 0, in the unit of the history.
    /// - Complexity: O(1) in practice: a few dozen series terms (up to about x + 1/u of them
    ///   for a customer with x repeat purchases and a horizon u = t/(α+T) > ½).
    public func expectedPurchases(in duration: Double, given history: CustomerHistory) -> Double {
        precondition(duration >= 0 && duration.isFinite, "the horizon must be a finite t ≥ 0")
        if duration == 0 { return 0 }
        let p = parameters
        let numerator = Self.expectationNumerator(
            r: p.r, alpha: p.alpha, a: p.a, b: p.b, x: Double(history.frequency),
            age: history.age, duration: duration)
        guard history.frequency > 0 else { return numerator }
        let odds = exp(logDeathOdds(history))
        return numerator / (1 + odds)
    }

    /// The log-likelihood of one history (eq. 6, in logarithms):
    /// ln Γ(r+x) − ln Γ(r) + r ln α − (r+x) ln(α+T)
    ///   + ln[B(a, b+x)/B(a, b) + δ(x>0) · B(a+1, b+x−1)/B(a, b) · ((α+T)/(α+t_x))^(r+x)].
    public func logLikelihood(_ history: CustomerHistory) -> Double {
        let p = parameters
        let x = Double(history.frequency)
        let lg = SpecialFunctions.logGamma
        let rate = lg(p.r + x) - lg(p.r) + p.r * log(p.alpha) - (p.r + x) * log(p.alpha + history.age)
        let stay = lg(p.a + p.b) + lg(p.b + x) - lg(p.b) - lg(p.a + p.b + x)
        guard history.frequency > 0 else { return rate + stay }
        return rate + stay + log1p(exp(logDeathOdds(history)))
    }

    /// The log-likelihood of every customer in a tally.
    /// - Complexity: O(distinct histories).
    public func logLikelihood(_ tally: HistoryTally) -> Double {
        var total = 0.0
        for (history, count) in tally.counts { total += Double(count) * logLikelihood(history) }
        return total
    }

    /// ln[a/(b + x − 1) · ((α + T)/(α + t_x))^(r + x)] for x > 0: the log-odds that the
    /// customer dropped out right after their last purchase.
    func logDeathOdds(_ history: CustomerHistory) -> Double {
        let p = parameters
        let x = Double(history.frequency)
        let gap = (history.age - history.recency) / (p.alpha + history.recency)
        return log(p.a) - log(p.b + x - 1) + (p.r + x) * log1p(gap)
    }

    /// (a + b + x − 1)/(a − 1) · [1 − ₂F₁(r + x, a − 1; a + b + x − 1; −t/(α+T))], the
    /// expected purchases in the next t of a customer known to be alive.
    static func expectationNumerator(
        r: Double, alpha: Double, a: Double, b: Double, x: Double, age: Double, duration: Double
    ) -> Double {
        let u = duration / (alpha + age)
        let p = r + x, c = a + b + x - 1
        // Bound on the magnitude of every term ratio of the series in u, for n ≥ 1:
        // (p + n)/(c + n) ≤ max(1, (p + 1)/(c + 1)) and (a + n − 1)/(n + 1) ≤ max(1, a/2).
        let ratioBound = u * max(1, (p + 1) / (c + 1)) * max(1, a / 2)
        if ratioBound <= 0.5 {
            var term = p * u, sum = term, n = 1.0
            while abs(term) > 1e-17 * abs(sum) {
                term *= -(p + n) * (a + n - 1) / ((c + n) * (n + 1)) * u
                sum += term
                n += 1
            }
            return sum
        }
        guard abs(a - 1) < interpolationGap else { return numeratorAwayFromPoleOfC(p: p, a: a, c: c, u: u) }
        // c = a + b + x − 1 moves with a (b and x stay).
        return SpecialFunctions.interpolatingAcross(offset: a - 1, gap: interpolationGap) { offset in
            numeratorAwayFromPoleOfC(p: p, a: 1 + offset, c: c - (a - 1) + offset, u: u)
        }
    }

    /// Where the direct formula would lose digits (a within this of 1, c within this of 0),
    /// values are interpolated by the cubic through points 1 and 2 times this either side.
    static let interpolationGap = 1e-3

    /// The numerator by the direct formula, interpolated in c near c = 0, where ₂F₁ has a pole
    /// that the factor c cancels (only when x = 0 and a + b ≈ 1).
    static func numeratorAwayFromPoleOfC(p: Double, a: Double, c: Double, u: Double) -> Double {
        guard abs(c) < interpolationGap else { return numeratorByFormula(p: p, a: a, c: c, u: u) }
        return SpecialFunctions.interpolatingAcross(offset: c, gap: interpolationGap) { offset in
            numeratorByFormula(p: p, a: a, c: offset, u: u)
        }
    }

    /// c/(a − 1) · [1 − ₂F₁(p, a − 1; c; −u)] evaluated as written.
    static func numeratorByFormula(p: Double, a: Double, c: Double, u: Double) -> Double {
        let f = Hypergeometric.f21(p, a - 1, c, z: -u, oneMinusZ: 1 + u)
        return c / (a - 1) * (1 - f.value)
    }
}
