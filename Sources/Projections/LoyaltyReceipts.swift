extension LoyaltyAccount {
    /// What each of a customer's receipts earned and gave back, kept in one flat array sorted by
    /// receipt id (`String` order, the order the account is stored in).
    ///
    /// A rebuild folds this for a million customers: a dictionary per account hashed every receipt
    /// id (twice for a new receipt), reallocated its storage as it grew, and sorted its keys again
    /// to be written. Receipts mostly arrive in id order and events mostly name the newest one,
    /// so the last entry is checked first and a new one is usually appended; any other id is found
    /// by binary search. The stored bytes are the dictionary's: the same entries in the same order.
    public struct Receipts: Sendable, Equatable {
        /// One receipt and its points.
        public struct Entry: Sendable, Equatable, SmallListElement {
            public static var placeholder: Entry { Entry(id: "", points: ReceiptPoints(earned: 0, byRule: false, total: 0, reversed: 0)) }
            /// The receipt's id.
            public var id: String
            /// What it earned and gave back.
            public var points: ReceiptPoints
        }

        /// The entries, in receipt id order (the first few inside the account itself, `SmallList`).
        public private(set) var entries: SmallList<3, Entry> = []

        /// No receipts.
        public init() {}

        /// How many receipts.
        @inline(__always) public var count: Int { entries.count }
        /// True when there are none.
        @inline(__always) public var isEmpty: Bool { entries.isEmpty }

        /// The points of receipt `id`, if it earned or was credited anything.
        public subscript(id: String) -> ReceiptPoints? {
            let (i, found) = position(of: id)
            return found ? entries[i].points : nil
        }

        /// Where `id` is (found) or would be inserted to keep the order.
        /// - Complexity: O(1) for the newest receipt or a later one, else O(log n).
        @inline(__always)
        func position(of id: String) -> (index: Int, found: Bool) {
            let n = entries.count
            guard n > 0 else { return (0, false) }
            let last = entries[n - 1].id
            if last == id { return (n - 1, true) }
            if last < id { return (n, false) }
            var lo = 0, hi = n - 1
            while lo < hi {
                let mid = (lo + hi) / 2
                if entries[mid].id < id { lo = mid + 1 } else { hi = mid }
            }
            return (lo, entries[lo].id == id)
        }

        /// Adds receipt `id` at `index`, where `position(of:)` said it goes.
        @inline(__always)
        mutating func insert(id: String, points: ReceiptPoints, at index: Int) {
            if index == entries.count { entries.append(Entry(id: id, points: points)) } else { entries.insert(Entry(id: id, points: points), at: index) }
        }

        /// The points of the receipt at `index` (from `position(of:)` or `index(of:inserting:)`).
        @inline(__always)
        subscript(at index: Int) -> ReceiptPoints {
            get { entries[index].points }
            _modify { yield &entries[index].points }
        }

        /// Adds a stored entry (stored in id order: appended, unless the bytes say otherwise).
        mutating func restore(id: String, points: ReceiptPoints) {
            let (i, found) = position(of: id)
            if found { entries[i].points = points } else { entries.insert(Entry(id: id, points: points), at: i) }
        }
    }
}
