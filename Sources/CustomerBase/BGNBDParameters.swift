/// The four BG/NBD parameters: the purchase rate is Gamma(r, α) across customers, the
/// dropout chance after each purchase is Beta(a, b).
///
/// α is in the time unit of the histories it was fitted on (α in days is 7 × α in
/// weeks); r, a and b have no unit.
public struct BGNBDParameters: Hashable, Sendable, CustomStringConvertible {
    /// The shape of the Gamma distribution of purchase rates.
    public let r: Double
    /// The scale (in time units) of the Gamma distribution of purchase rates: the mean
    /// rate while alive is r / α.
    public let alpha: Double
    /// The first shape of the Beta distribution of dropout chances.
    public let a: Double
    /// The second shape of the Beta distribution of dropout chances: the mean dropout
    /// chance after a purchase is a / (a + b).
    public let b: Double

    /// Parameters from their values.
    /// - Throws: `BGNBDError.invalidParameters` unless all four are positive and finite.
    public init(r: Double, alpha: Double, a: Double, b: Double) throws(BGNBDError) {
        guard [r, alpha, a, b].allSatisfy({ $0 > 0 && $0.isFinite }) else {
            throw .invalidParameters(r: r, alpha: alpha, a: a, b: b)
        }
        self.r = r
        self.alpha = alpha
        self.a = a
        self.b = b
    }

    /// The same customers measured in a time unit `factor` times longer (α in days →
    /// α in weeks with factor 7): only α changes.
    public func rescalingTime(by factor: Double) throws(BGNBDError) -> BGNBDParameters {
        try BGNBDParameters(r: r, alpha: alpha / factor, a: a, b: b)
    }

    public var description: String { "r=\(r) α=\(alpha) a=\(a) b=\(b)" }
}
