import Glibc

/// The Gaussian hypergeometric function ₂F₁(a, b; c; z) for real a, b, c and z < 1, as
/// needed by the BG/NBD conditional expectation.
///
/// Every evaluation ends in the defining series Σ (a)ₙ(b)ₙ / ((c)ₙ n!) zⁿ, after at most two
/// transformations chosen so that the series converges fast and its terms do not cancel:
/// - z < 0: Pfaff's transformation to the argument z/(z − 1) ∈ (0, 1), in whichever of its two
///   forms, (1 − z)^−a ₂F₁(a, c − b; c; ·) or (1 − z)^−b ₂F₁(c − a, b; c; ·), has the smaller
///   upper parameters (for the BG/NBD expectation this trades r + x, which grows with the
///   customer's purchases, for a + b − 1 − r, which does not);
/// - 0 ≤ z ≤ 0.9, or parameters large against 1/(1 − z): the series itself. Its terms
///   eventually shrink like zⁿ, so it needs about (parameters + 40/(1 − z)) terms;
/// - z > 0.9 with moderate parameters (max(|a|, |b|, |c|) · (1 − z) ≤ 2), where the series
///   would crawl: the linear transformation z → 1 − z (Abramowitz & Stegun 15.3.6), whose two
///   series are in 1 − z < 0.1. It divides by Γ(c − a − b) terms that have poles when
///   c − a − b is an integer; within 10⁻⁴ of one, the value is interpolated in c by the cubic
///   through the points 10⁻⁴ and 2·10⁻⁴ either side (₂F₁ is analytic in c: the error is
///   O(10⁻¹⁶ · ln⁴(1 − z)), against the digits the direct formula loses next to the pole).
///   With large parameters the two terms of 15.3.6 are huge and cancel, hence the size
///   condition.
///
/// The series is summed with a running scale, so values beyond 10³⁰⁸ are returned as
/// logarithms rather than overflowing; it stops when the bound on its remaining tail,
/// |term| · ρ / (1 − ρ) with ρ the bound on later term ratios, falls below 10⁻¹⁷ of the sum.
enum Hypergeometric {
    /// The spacing of the interpolation around integer c − a − b.
    static let integerGap = 1e-4

    /// ₂F₁(a, b; c; z) as a signed logarithm.
    /// - Parameters:
    ///   - oneMinusZ: 1 − z, passed separately so that z close to 1 loses no digits.
    /// - Precondition: z < 1 and c is not 0, −1, −2, …
    static func f21(_ a: Double, _ b: Double, _ c: Double, z: Double, oneMinusZ: Double) -> SignedLog {
        precondition(z < 1 && oneMinusZ > 0, "₂F₁ is evaluated only for z < 1")
        precondition(!SpecialFunctions.isNonPositiveInteger(c), "₂F₁ is undefined for c = 0, −1, −2, …")
        if z == 0 || a == 0 || b == 0 { return .one }
        if SpecialFunctions.isNonPositiveInteger(a) || SpecialFunctions.isNonPositiveInteger(b) {
            return series(a, b, c, z)  // a polynomial: the series ends by itself
        }
        if z < 0 {
            // Pfaff: the new argument z/(z − 1) = −z/(1 − z) is in (0, 1), its complement is 1/(1 − z).
            let keepA = max(abs(a), abs(c - b)) <= max(abs(c - a), abs(b))
            let (kept, other) = keepA ? (a, b) : (b, a)
            let factor = SignedLog(logMagnitude: -kept * log(oneMinusZ), sign: 1)
            return factor * f21(kept, c - other, c, z: -z / oneMinusZ, oneMinusZ: 1 / oneMinusZ)
        }
        if z <= 0.9 || max(abs(a), abs(b), abs(c)) * oneMinusZ > 2 { return series(a, b, c, z) }
        let m = c - a - b
        let nearest = m.rounded()
        if abs(m - nearest) < integerGap {
            let nodes = SpecialFunctions.interpolationNodes.map {
                reflected(a, b, a + b + nearest + $0 * integerGap, oneMinusZ: oneMinusZ)
            }
            let reference = nodes.map(\.logMagnitude).max() ?? 0
            let values = nodes.map { $0.sign * exp($0.logMagnitude - reference) }
            let mixed = SignedLog(SpecialFunctions.cubic(at: (m - nearest) / integerGap, through: values))
            return SignedLog(logMagnitude: mixed.logMagnitude + reference, sign: mixed.sign)
        }
        return reflected(a, b, c, oneMinusZ: oneMinusZ)
    }

    /// ₂F₁(a, b; c; z) = Γ(c)Γ(m) / (Γ(c−a)Γ(c−b)) · ₂F₁(a, b; 1 − m; 1 − z)
    ///   + (1 − z)^m Γ(c)Γ(−m) / (Γ(a)Γ(b)) · ₂F₁(c − a, c − b; 1 + m; 1 − z), m = c − a − b
    /// (Abramowitz & Stegun 15.3.6), for m not an integer.
    static func reflected(_ a: Double, _ b: Double, _ c: Double, oneMinusZ w: Double) -> SignedLog {
        let m = c - a - b
        let gammaC = SpecialFunctions.gamma(c)
        let first = gammaC * SpecialFunctions.gamma(m)
            * SpecialFunctions.reciprocalGamma(c - a) * SpecialFunctions.reciprocalGamma(c - b)
        let second = gammaC * SpecialFunctions.gamma(-m)
            * SpecialFunctions.reciprocalGamma(a) * SpecialFunctions.reciprocalGamma(b)
            * SignedLog(logMagnitude: m * log(w), sign: 1)
        let firstTerm = first.sign == 0 ? .zero : first * series(a, b, 1 - m, w)
        let secondTerm = second.sign == 0 ? .zero : second * series(c - a, c - b, 1 + m, w)
        return firstTerm + secondTerm
    }

    /// The defining series Σ (a)ₙ(b)ₙ / ((c)ₙ n!) xⁿ, for |x| < 1.
    static func series(_ a: Double, _ b: Double, _ c: Double, _ x: Double) -> SignedLog {
        var sum = 1.0, term = 1.0, logScale = 0.0
        // Past the parameters' magnitudes the term ratio (a+n)(b+n)/((c+n)(n+1))·x tends to x
        // monotonically, so later ratios are bounded by max(the next one, |x|) < 1. The loop
        // limit leaves room for |x|ⁿ to fall by e⁻¹⁰⁰ after that, far below the tolerance.
        let settled = max(abs(a), abs(b), abs(c)) + 2
        let limit = Int(min(settled + 100 / (1 - abs(x)), 1e9)) + 1_000
        var n = 0.0
        var converged = false
        for _ in 0..<limit {
            term *= (a + n) * (b + n) / ((c + n) * (n + 1)) * x
            sum += term
            n += 1
            if term == 0 { converged = true; break }
            if abs(sum) > 1e250 || abs(term) > 1e250 {
                sum *= 1e-250
                term *= 1e-250
                logScale += 250 * M_LN10
            }
            if n >= settled {
                let next = abs((a + n) * (b + n) / ((c + n) * (n + 1)) * x)
                let bound = max(next, abs(x))
                if bound < 1, abs(term) * bound / (1 - bound) <= 1e-17 * abs(sum) { converged = true; break }
            }
        }
        assert(converged, "₂F₁ series did not converge: a=\(a) b=\(b) c=\(c) z=\(x)")
        if sum == 0 { return .zero }
        return SignedLog(logMagnitude: log(abs(sum)) + logScale, sign: sum < 0 ? -1 : 1)
    }
}
