import Glibc

/// The special functions the model needs, on top of Glibc's log-gamma.
enum SpecialFunctions {
    /// ln |Γ(x)|, reentrant (`lgamma_r`: the plain `lgamma` writes the global `signgam`).
    static func logGamma(_ x: Double) -> Double {
        var sign: Int32 = 0
        return lgamma_r(x, &sign)
    }

    /// 1 / Γ(x) as a logarithm and a sign; the sign is 0 at the poles x = 0, −1, −2, …
    /// where 1 / Γ vanishes.
    static func reciprocalGamma(_ x: Double) -> SignedLog {
        if x <= 0, x == x.rounded(.down) { return .zero }
        var sign: Int32 = 0
        let logAbs = lgamma_r(x, &sign)
        return SignedLog(logMagnitude: -logAbs, sign: sign < 0 ? -1 : 1)
    }

    /// Γ(x) as a logarithm and a sign, for x not a pole.
    static func gamma(_ x: Double) -> SignedLog {
        var sign: Int32 = 0
        let logAbs = lgamma_r(x, &sign)
        return SignedLog(logMagnitude: logAbs, sign: sign < 0 ? -1 : 1)
    }

    /// The digamma function ψ(x) = d/dx ln Γ(x).
    ///
    /// Recurrence ψ(x) = ψ(x + 1) − 1/x up to x ≥ 10, then the asymptotic series to x⁻¹⁰
    /// (truncation error below 1e-14); reflection for x < 0. NaN at the poles.
    static func digamma(_ x: Double) -> Double {
        if x <= 0 {
            if x == x.rounded(.down) { return .nan }
            return digamma(1 - x) - Double.pi / tan(Double.pi * x)
        }
        var x = x
        var shift = 0.0
        while x < 10 {
            shift -= 1 / x
            x += 1
        }
        let f = 1 / (x * x)
        let tail = f * (1.0 / 12 - f * (1.0 / 120 - f * (1.0 / 252 - f * (1.0 / 240 - f * (1.0 / 132)))))
        return shift + log(x) - 0.5 / x - tail
    }

    /// The value at `offset` (|offset| ≤ `gap`) of a function that is smooth there but cannot
    /// be evaluated accurately near offset 0, from the cubic through its values at ±gap and
    /// ±2·gap. The error is O(gap⁴ · f⁗), against the digits a formula with a removable
    /// singularity at 0 loses close to it.
    static func interpolatingAcross(offset: Double, gap: Double, _ f: (Double) -> Double) -> Double {
        cubic(at: offset / gap, through: interpolationNodes.map { f($0 * gap) })
    }

    /// Where `interpolatingAcross` evaluates, in units of the gap.
    static let interpolationNodes: [Double] = [-2, -1, 1, 2]

    /// The cubic through `values` at `interpolationNodes`, at `s` (Lagrange's form).
    static func cubic(at s: Double, through values: [Double]) -> Double {
        var sum = 0.0
        for (j, node) in interpolationNodes.enumerated() {
            var weight = 1.0
            for (k, other) in interpolationNodes.enumerated() where k != j { weight *= (s - other) / (node - other) }
            sum += weight * values[j]
        }
        return sum
    }

    /// Whether `x` is 0, −1, −2, …
    static func isNonPositiveInteger(_ x: Double) -> Bool { x <= 0 && x == x.rounded(.down) }
}

/// A real number kept as ln |v| and the sign of v, so products of gamma functions and
/// hypergeometric series of a million terms neither overflow nor underflow.
struct SignedLog: Equatable, Sendable {
    var logMagnitude: Double
    /// −1, 0 or +1.
    var sign: Double

    static let zero = SignedLog(logMagnitude: -.infinity, sign: 0)
    static let one = SignedLog(logMagnitude: 0, sign: 1)

    init(logMagnitude: Double, sign: Double) {
        self.logMagnitude = logMagnitude
        self.sign = sign
    }

    init(_ value: Double) {
        self.init(logMagnitude: log(abs(value)), sign: value == 0 ? 0 : (value < 0 ? -1 : 1))
    }

    var value: Double { sign == 0 ? 0 : sign * exp(logMagnitude) }

    static func * (lhs: SignedLog, rhs: SignedLog) -> SignedLog {
        if lhs.sign == 0 || rhs.sign == 0 { return .zero }
        return SignedLog(logMagnitude: lhs.logMagnitude + rhs.logMagnitude, sign: lhs.sign * rhs.sign)
    }

    static func + (lhs: SignedLog, rhs: SignedLog) -> SignedLog {
        if lhs.sign == 0 { return rhs }
        if rhs.sign == 0 { return lhs }
        let (big, small) = lhs.logMagnitude >= rhs.logMagnitude ? (lhs, rhs) : (rhs, lhs)
        let ratio = exp(small.logMagnitude - big.logMagnitude) * small.sign * big.sign
        let sum = 1 + ratio
        if sum == 0 { return .zero }
        return SignedLog(logMagnitude: big.logMagnitude + log1p(ratio), sign: sum < 0 ? -big.sign : big.sign)
    }
}
