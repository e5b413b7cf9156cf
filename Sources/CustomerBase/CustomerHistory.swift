/// One customer's purchase history in the form BG/NBD needs: (x, t_x, T).
///
/// All times are in one unit chosen by the caller (days for Clientele's ledger; CDNOW's
/// published data uses weeks) and are measured from the customer's first purchase, which
/// itself is not counted. Customers who never bought have no history and are not part of a
/// fit; returns are netted out by the caller before a history is built.
public struct CustomerHistory: Hashable, Sendable {
    /// x: the number of repeat purchase days (purchases on the same day count once).
    public let frequency: Int
    /// t_x: the time of the last purchase, since the first (0 when `frequency` is 0).
    public let recency: Double
    /// T: the time from the first purchase to the end of the observation window.
    public let age: Double

    /// A history from its three numbers.
    /// - Throws: `BGNBDError.invalidHistory` unless `frequency` ≥ 0 and
    ///   0 ≤ `recency` ≤ `age` < ∞, with `recency` = 0 exactly when `frequency` is 0 (a repeat
    ///   purchase comes after the first).
    public init(frequency: Int, recency: Double, age: Double) throws(BGNBDError) {
        guard frequency >= 0, recency.isFinite, age.isFinite, recency >= 0, recency <= age,
              (frequency == 0) == (recency == 0)
        else { throw .invalidHistory(frequency: frequency, recency: recency, age: age) }
        self.frequency = frequency
        self.recency = recency
        self.age = age
    }

    /// The history of a customer from the times of their purchases, in days.
    ///
    /// Times are day numbers on the store's local calendar (for example seconds since the
    /// epoch, shifted by the zone offset, divided by 86 400); their fractional part is the
    /// time of day. Every time is reduced to its day, so several purchases on one day count
    /// once, and `recency` and `age` are whole days, which lets a fit over millions of
    /// customers aggregate identical histories (this is also what `lifetimes`'
    /// `summary_data_from_transaction_data` does with `freq="D"`). Purchases after
    /// `observationEnd` are left out, so a calibration window can be cut from a longer log.
    /// - Parameters:
    ///   - purchaseDays: the purchase times in days, in any order; net of returns (a fully
    ///     returned purchase should not be passed).
    ///   - observationEnd: the end of the observation window, in the same days.
    /// - Returns: the history, or nil when the customer bought nothing up to `observationEnd`.
    /// - Complexity: O(n log n) for n purchases.
    public init?(purchaseDays: some Sequence<Double>, observationEnd: Double) {
        let endDay = observationEnd.rounded(.down)
        let days = purchaseDays.lazy.filter { $0.isFinite }.map { $0.rounded(.down) }
            .filter { $0 <= endDay }.sorted()
        guard let first = days.first, let last = days.last, endDay.isFinite else { return nil }
        var distinct = 1
        var previous = first
        for day in days.dropFirst() where day != previous {
            distinct += 1
            previous = day
        }
        self.frequency = distinct - 1
        self.recency = last - first
        self.age = endDay - first
    }

    /// The same history from day numbers already sorted ascending without repeats (how a
    /// customer summary keeps them), without copying or sorting them: what the churn model
    /// reads for every customer on each recomputation.
    /// - Returns: the history, or nil when the customer bought nothing up to `observationEnd`.
    /// - Complexity: O(log n) for n days.
    @inlinable
    public init?<Days: RandomAccessCollection<Int64>>(sortedDistinctDays days: Days, observationEnd: Double) where Days.Index == Int {
        let endDay = observationEnd.rounded(.down)
        guard endDay.isFinite, let first = days.first, Double(first) <= endDay else { return nil }
        // The last day on or before the end of the window.
        var lo = 0, hi = days.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if Double(days[mid]) <= endDay { lo = mid + 1 } else { hi = mid }
        }
        self.frequency = lo - 1
        self.recency = Double(days[lo - 1] - first)
        self.age = endDay - Double(first)
    }
}
