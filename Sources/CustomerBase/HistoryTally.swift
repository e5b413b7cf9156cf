/// Customers counted by history: the input of a fit, with identical (x, t_x, T) merged.
///
/// Histories built from day-stamped purchases take few distinct values (x, t_x and T are
/// whole days), so a million customers make tens of thousands of distinct histories and
/// a fit's cost follows that number, not the number of customers. Build one by streaming
/// customers through `add(_:count:)`; nothing per customer is kept.
public struct HistoryTally: Sendable, Equatable {
    /// How many customers have each history.
    public private(set) var counts: [CustomerHistory: Int] = [:]
    /// How many customers were added.
    public private(set) var customerCount = 0
    /// How many of them bought on more than one day (x > 0).
    public private(set) var repeatBuyerCount = 0

    /// An empty tally.
    public init() {}

    /// A tally of these customers.
    /// - Complexity: O(n) expected.
    public init(_ histories: some Sequence<CustomerHistory>) {
        for history in histories { add(history) }
    }

    /// Counts `count` more customers with this history.
    /// - Precondition: `count` ≥ 0.
    public mutating func add(_ history: CustomerHistory, count: Int = 1) {
        precondition(count >= 0, "a tally counts customers: count must be ≥ 0")
        guard count > 0 else { return }
        counts[history, default: 0] += count
        customerCount += count
        if history.frequency > 0 { repeatBuyerCount += count }
    }

    /// How many distinct histories there are.
    public var distinctHistoryCount: Int { counts.count }
}
