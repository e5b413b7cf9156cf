#if canImport(Glibc)
import Glibc
#endif

/// How many events one write transaction of the ingest may hold, so that the pages it changes
/// stay within a memory budget as the ledger grows.
///
/// LMDB copies each page a transaction changes into memory until the commit, then writes them
/// all. Keys that arrive in order (the log, by_time, by_source for receipt numbers a POS hands out
/// in rising order) change a few pages per transaction however many events it holds; keys in
/// random order (by_customer: customers come back in any order; by_source for registrations and
/// for ids without order) change about L·(1 − e^(−E/L)) leaves of an index of L leaves for E
/// events — nearly one page per event once L is well above E. Larger transactions write less
/// (each page once however many of its keys change) but take more memory.
///
/// So the limit follows what the commits show: after each one, `observe` takes the pages it
/// wrote, and the next transactions are sized so that theirs stay under the budget (pages per
/// event only fall as a transaction grows, so a larger one writes at most that many per event).
/// Before the first commit, and where the system does not say what a commit wrote, it assumes
/// the worst: two indexes with random keys.
public struct TransactionSizing: Sendable, Hashable {
    /// The most events per transaction.
    public var maximum: Int
    /// The memory the pages changed by one transaction may take, in bytes.
    public var budget: Int
    /// The pages per event the last commit wrote, once one was observed.
    public private(set) var pagesPerEvent: Double?

    /// Index entries per leaf page (4 KiB pages of 30-odd-byte entries, about two-thirds full
    /// after random inserts).
    static let entriesPerLeaf = 80.0
    static let pageSize = 4096.0
    /// The share of the budget aimed at: the ledger grows between the commit observed and the
    /// transaction it sizes, and a transaction smaller than the one observed writes a little
    /// more per event.
    static let aim = 0.85

    /// A sizing allowing up to `maximum` events and `budget` bytes of changed pages per transaction.
    public init(maximum: Int = 50_000, budget: Int = 128 << 20) {
        self.maximum = max(1, maximum)
        self.budget = max(1, budget)
    }

    /// Takes what a commit of `events` events wrote: `bytesWritten` bytes of pages.
    public mutating func observe(events: Int, bytesWritten: Int) {
        guard events > 0, bytesWritten > 0 else { return }
        pagesPerEvent = Double(bytesWritten) / Self.pageSize / Double(events)
    }

    /// The events one transaction may hold when the ledger has `ledgerEvents` events.
    /// - Complexity: O(1).
    public func limit(ledgerEvents: Int) -> Int {
        let pages = Double(budget) / Self.pageSize
        if let pagesPerEvent {
            return max(1, min(maximum, Int(pages * Self.aim / pagesPerEvent)))
        }
        let leaves = max(1, Double(ledgerEvents) / Self.entriesPerLeaf)
        let share = pages / (2 * leaves)
        // Both indexes whole within the budget: any size will do.
        if share >= 1 { return maximum }
        let events = -leaves * log(1 - share)
        return max(1, min(maximum, Int(events)))
    }
}
