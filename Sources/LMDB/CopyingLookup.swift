import CLMDB

/// Finds a database's entries by key, one after another, reading its pages with `pread` as
/// `Transaction.scanCopying` does, for a reader that looks up many keys mostly in key order (the
/// events an index lists): the branch pages are kept once read (LMDB's descent, in memory), and a
/// leaf is read in a stretch with the leaves after it, so the next keys are found in the run
/// already read. Each entry is lent with its run (`CopiedPages`): hold the run to keep the entry.
///
/// Valid only inside the `Transaction.withCopyingLookup` closure it is lent to.
public final class CopyingLookup {
    private var reader: PageCopyScan
    private var current: CopiedPages?
    /// The leaf found last, in a run held here, with its node count and first and last keys.
    private var lastLeaf: (leaf: UnsafeRawPointer, page: UInt64, count: Int, run: CopiedPages,
                           first: UnsafeRawBufferPointer, last: UnsafeRawBufferPointer)?
    /// Branch pages by number, read once; let go of together past `maxBranches`.
    private var branches: [UInt64: UnsafeMutableRawPointer] = [:]
    private static let maxBranches = 16_384

    init(_ reader: PageCopyScan) { self.reader = reader }

    deinit { for b in branches.values { b.deallocate() } }

    /// The entry stored under `key` and the run it is in; nil when there is none.
    /// - Throws: `LMDBError` when a read fails or a page is not what the tree says it is.
    public func find(_ key: UnsafeRawBufferPointer) throws -> (Entry, CopiedPages)? {
        guard reader.root != PageCopyScan.noPage, reader.depth >= 1 else { return nil }
        // On the leaf found last, between its first and last keys: no descent (as LMDB's cursor
        // looks on its own page first).
        if let last = lastLeaf, reader.compare(key, last.first) >= 0, reader.compare(key, last.last) <= 0 {
            return try search(key, in: last.leaf, page: last.page, count: last.count, run: last.run)
        }
        var page = reader.root
        var parent: (branch: UnsafeRawPointer, index: Int, count: Int)?
        for _ in 0..<(reader.depth - 1) {
            let branch = try self.branch(page)
            let n = try reader.nodeCount(branch)
            guard n > 0 else { throw reader.corrupted(page) }
            let i = try reader.childIndex(of: key, in: branch, count: n, page: page)
            parent = (UnsafeRawPointer(branch), i, n)
            page = try reader.child(i, of: branch)
        }
        // The leaves after this one under the same branch, read in the same stretch when close
        // (only when this one must be read).
        var following: [UInt64] = []
        if let parent, !reader.holds(page, current) {
            following = try ((parent.index + 1)..<parent.count).map { try reader.child($0, of: parent.branch) }
        }
        let (leaf, run) = try reader.loadLeaf(page, current: &current, following: following[...])
        let n = try reader.nodeCount(leaf)
        lastLeaf = n == 0 ? nil : (leaf, page, n, run, try reader.nodeKey(0, of: leaf, page: page), try reader.nodeKey(n - 1, of: leaf, page: page))
        return try search(key, in: leaf, page: page, count: n, run: run)
    }

    /// The entry under `key` in a leaf of `n` nodes (binary search), or nil.
    private func search(_ key: UnsafeRawBufferPointer, in leaf: UnsafeRawPointer, page: UInt64, count n: Int,
                        run: CopiedPages) throws -> (Entry, CopiedPages)? {
        var lo = 0, hi = n
        while lo < hi {
            let mid = (lo + hi) / 2
            if reader.compare(try reader.nodeKey(mid, of: leaf, page: page), key) < 0 { lo = mid + 1 } else { hi = mid }
        }
        guard lo < n else { return nil }
        let (k, v) = try reader.node(lo, of: leaf, page: page, run: run)
        guard reader.compare(k, key) == 0 else { return nil }
        return (Entry(key: k, value: v), run)
    }

    /// A branch page, read on first use.
    private func branch(_ page: UInt64) throws -> UnsafeMutableRawPointer {
        if let b = branches[page] { return b }
        if branches.count >= Self.maxBranches {
            for b in branches.values { b.deallocate() }
            branches.removeAll(keepingCapacity: true)
        }
        let b = UnsafeMutableRawPointer.allocate(byteCount: reader.pageSize, alignment: reader.pageSize)
        do {
            try reader.read(page, count: 1, into: b)
            try reader.checkHeader(b, page: page, flags: PageCopyScan.branchPage)
        } catch {
            b.deallocate()
            throw error
        }
        branches[page] = b
        return b
    }
}

extension Transaction {
    /// Runs `body` with a `CopyingLookup` of `db` in this transaction's snapshot.
    /// - Returns: `body`'s result; nil when `db` cannot be read this way (see `scanCopying`;
    ///   `body` did not run: use a cursor).
    public func withCopyingLookup<R>(_ db: Database, runPages: Int = 256, gapPages: Int = 4,
                                     _ body: (CopyingLookup) throws -> R) throws -> R? {
        guard let reader = try PageCopyScan(self, db, runPages: runPages, gapPages: gapPages) else { return nil }
        let lookup = CopyingLookup(reader)
        return try withExtendedLifetime(lookup) { try body(lookup) }
    }
}
