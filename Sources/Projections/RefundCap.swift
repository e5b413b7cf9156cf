/// The rule by which a refund comes off net spend, which the customer summary and the loyalty
/// account both apply to the receipt a return (or an exchange's refund) names, so that the 360's
/// net spend and the tier's agree: no more than the receipt had left, and all of it for a receipt
/// of no total (not known yet).
enum RefundCap {
    /// `refund` as far as a receipt of `total` had any left after `refunded`, which it adds to.
    @inline(__always)
    static func take(_ refund: Int64, total: Int64, refunded: inout Int64) -> Int64 {
        guard total > 0 else { return refund }
        let taken = min(refund, max(0, total - refunded))
        refunded += taken
        return taken
    }

    /// Whether a receipt of `total` was refunded in full: it counts as no purchase (a receipt of
    /// no total never is).
    @inline(__always)
    static func refundedInFull(total: Int64, refunded: Int64) -> Bool { total > 0 && refunded >= total }
}
