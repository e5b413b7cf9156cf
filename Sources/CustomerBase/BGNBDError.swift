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
