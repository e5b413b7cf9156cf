#if canImport(Glibc)
import Glibc
#endif

/// How many events one write transaction of the ingest may hold, so that the pages it dirties
/// stay within a memory budget as the ledger grows.
///
/// Every event goes into two indexes whose keys arrive in random order (by source: a hash; by
/// customer), and LMDB copies each index page a transaction changes into memory until the commit.
/// While the ledger is small, a transaction of E events changes nearly every page of those
/// indexes — few pages, however large E — so large transactions are cheap and write little. Once
/// the indexes have L leaf pages each with L well above E, nearly every event dirties a page of
/// its own in each: about 2·L·(1 − e^(−E/L)) pages, which grows with E and not with the file.
/// The limit is the E that keeps that under the budget (and never above `maximum`).
public struct TransactionSizing: Sendable, Hashable {
    /// The most events per transaction.
    public var maximum: Int
    /// The memory the random-key index pages of one transaction may take, in bytes.
    public var budget: Int
    /// Index entries per leaf page (4 KiB pages of 30-odd-byte entries, about two-thirds full
    /// after random inserts).
    static let entriesPerLeaf = 80.0
    static let pageSize = 4096.0

    /// A sizing allowing up to `maximum` events and `budget` bytes of index pages per transaction.
    public init(maximum: Int = 50_000, budget: Int = 128 << 20) {
        self.maximum = max(1, maximum)
        self.budget = max(1, budget)
    }

    /// The events one transaction may hold when the ledger has `ledgerEvents` events.
    /// - Complexity: O(1).
    public func limit(ledgerEvents: Int) -> Int {
        let leaves = max(1, Double(ledgerEvents) / Self.entriesPerLeaf)
        let pages = Double(budget) / Self.pageSize
        let share = pages / (2 * leaves)
        // Both indexes whole within the budget: any size will do.
        if share >= 1 { return maximum }
        let events = -leaves * log(1 - share)
        return max(1, min(maximum, Int(events)))
    }
}
