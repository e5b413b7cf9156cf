/// Why a BG/NBD history, parameter set or fit was refused.
///
/// Each case names what a caller can act on: bad input they built, or data that cannot
/// identify the model (fix the data or the observation window, not the code).
public enum BGNBDError: Error, Equatable, Sendable {
    /// A history is impossible: `frequency` < 0, or not 0 ≤ `recency` ≤ `age`, or a value
    /// not finite.
    case invalidHistory(frequency: Int, recency: Double, age: Double)
    /// A parameter is not a positive finite number.
    case invalidParameters(r: Double, alpha: Double, a: Double, b: Double)
    /// Band thresholds are not 0 ≤ low ≤ high ≤ 1.
    case invalidBandThresholds(lowBelow: Double, highAbove: Double)
    /// There was no customer to fit.
    case noCustomers
    /// No customer bought on a second day: the dropout process (a, b) cannot be estimated.
    case noRepeatPurchases(customers: Int)
    /// The likelihood keeps rising as a parameter runs off to 0 or infinity: the data
    /// cannot identify the model (for example nobody seems ever to drop out, so a → 0 or
    /// b → ∞). `value` is where the search stopped.
    case notIdentifiable(parameter: String, value: Double)
    /// The optimiser stopped without meeting its tolerance.
    case didNotConverge(iterations: Int, logLikelihood: Double, gradientNorm: Double)
}

extension BGNBDError: CustomStringConvertible {
    /// What a store manager or analyst reads: what is missing from the data, or what was wrong with
    /// what they gave.
    public var description: String {
        switch self {
        case .invalidHistory(let f, let r, let t):
            return "an impossible purchase history: \(f) repeat purchases, the last \(r) after the first, observed for \(t) (needs 0 ≤ last ≤ observed)"
        case .invalidParameters(let r, let alpha, let a, let b):
            return "BG/NBD parameters must be positive numbers (r \(r), α \(alpha), a \(a), b \(b))"
        case .invalidBandThresholds(let low, let high):
            return "churn bands need 0 ≤ low ≤ high ≤ 1 (low below \(low), high above \(high))"
        case .noCustomers:
            return "no customer has bought anything yet"
        case .noRepeatPurchases(let n):
            return "none of the \(n) customer\(n == 1 ? "" : "s") who bought has bought again on another day yet, so how customers drop away cannot be estimated"
        case .notIdentifiable(let parameter, _):
            return "the purchases so far cannot pin down the model's \(parameter) (for example nobody seems ever to stop buying); a longer history is needed"
        case .didNotConverge(let iterations, _, _):
            return "the fit did not settle after \(iterations) iterations"
        }
    }
}
