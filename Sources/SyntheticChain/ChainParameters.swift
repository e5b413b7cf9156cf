import Ledger

/// What the synthetic chain looks like: how many stores, customers and days, and the laws its
/// customers follow (the BG/NBD story: each buys by a Poisson process of their own rate and may
/// drop out after each purchase).
public struct ChainParameters: Sendable {
    public var stores = 5
    public var customers = 1_000
    public var days = 365
    public var seed: UInt64 = 1
    /// The first day, at midnight in the chain's zone.
    public var start = Timestamp(iso8601: "2025-01-01T00:00:00+08:00")!
    public var currency = "CNY"
    /// Purchase rate per day ~ Gamma(r, 1/α) (BG/NBD's r and α).
    public var purchaseShape = 0.75, purchaseRateScale = 1.0 / 40
    /// Dropout after each purchase ~ Beta(a, b).
    public var dropoutA = 0.9, dropoutB = 3.5
    /// Chances per purchase.
    public var returnChance = 0.06, complaintChance = 0.03, callbackChance = 0.06
    /// Visits without a purchase, relative to the purchase rate.
    public var visitRatio = 0.5
    /// Chance a customer consents to marketing, and later withdraws.
    public var marketingConsent = 0.6, withdrawal = 0.05

    public init() {}

    /// The zone offset of `start`, used for every event.
    var offsetMinutes: Int16 { start.offsetMinutes }
}
