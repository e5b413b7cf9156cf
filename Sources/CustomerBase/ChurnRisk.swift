/// Where a churn risk falls on the store manager's list.
public enum ChurnRiskBand: String, Sendable, CaseIterable, Comparable {
    case low, medium, high

    public static func < (lhs: ChurnRiskBand, rhs: ChurnRiskBand) -> Bool {
        allCases.firstIndex(of: lhs)! < allCases.firstIndex(of: rhs)!
    }
}

/// The thresholds that cut churn risk (1 − P(alive)) into bands: low below `lowBelow`,
/// high above `highAbove`, medium between (both ends included).
public struct ChurnRiskBands: Hashable, Sendable {
    /// A risk strictly below this is low.
    public let lowBelow: Double
    /// A risk strictly above this is high.
    public let highAbove: Double

    /// Clientele's default bands: low < 33 %, high > 66 %.
    public static let standard = ChurnRiskBands(uncheckedLowBelow: 0.33, highAbove: 0.66)

    /// Bands with these thresholds.
    /// - Throws: `BGNBDError.invalidBandThresholds` unless 0 ≤ `lowBelow` ≤ `highAbove` ≤ 1.
    public init(lowBelow: Double, highAbove: Double) throws(BGNBDError) {
        guard lowBelow >= 0, lowBelow <= highAbove, highAbove <= 1 else {
            throw .invalidBandThresholds(lowBelow: lowBelow, highAbove: highAbove)
        }
        self.init(uncheckedLowBelow: lowBelow, highAbove: highAbove)
    }

    private init(uncheckedLowBelow lowBelow: Double, highAbove: Double) {
        self.lowBelow = lowBelow
        self.highAbove = highAbove
    }

    /// The band of a churn risk in [0, 1].
    public func band(forRisk risk: Double) -> ChurnRiskBand {
        if risk < lowBelow { return .low }
        if risk > highAbove { return .high }
        return .medium
    }
}

/// One customer's churn risk under a BG/NBD model, banded.
public struct ChurnRisk: Hashable, Sendable {
    /// P(alive | x, t_x, T).
    public let probabilityAlive: Double
    /// 1 − P(alive).
    public let risk: Double
    /// The band `risk` falls in.
    public let band: ChurnRiskBand

    /// The risk that goes with a probability of being alive, banded by `bands`.
    public init(probabilityAlive: Double, bands: ChurnRiskBands = .standard) {
        self.probabilityAlive = probabilityAlive
        self.risk = 1 - probabilityAlive
        self.band = bands.band(forRisk: 1 - probabilityAlive)
    }
}
