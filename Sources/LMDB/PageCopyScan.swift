import CLMDB
#if canImport(Glibc)
import Glibc
#endif

/// Pages of the data file copied out of the page cache by a `Transaction.scanCopying` scan, which
/// lends each entry with the run its bytes are in. A reader that keeps an entry past the scan's
/// closure (another thread folding it, say) keeps the run: the scan refills a run only once nobody
/// else holds it. The entries stay what the transaction saw: LMDB never writes over a page an
/// open reader can see.
///
/// `@unchecked Sendable`: a run is written only by its scan, while no one else holds it, and only
/// read by the holders it was lent to.
public final class CopiedPages: @unchecked Sendable {
    /// Room for `capacity` pages, of which the first `used` are filled (by one read or several).
    let base: UnsafeMutableRawPointer
    let capacity: Int
    var used = 0
    /// Values too large for a leaf (LMDB's overflow pages), read apart and freed with the run's next refill.
    var overflow: [UnsafeMutableRawPointer] = []

    init(pages: Int, pageSize: Int) {
        capacity = pages
        base = UnsafeMutableRawPointer.allocate(byteCount: pages * pageSize, alignment: pageSize)
    }

    func reset() {
        for o in overflow { o.deallocate() }
        overflow.removeAll(keepingCapacity: true)
        used = 0
    }

    deinit {
        reset()
        base.deallocate()
    }
}

extension Transaction {
    /// Visits `db`'s entries in key order from the first key at or after `start`, reading the data
    /// file's pages with `pread` into runs of its own (`CopiedPages`) instead of through the map;
    /// `body` returns false to stop.
    ///
    /// For a scan over much of a large database: mapping a 4 KB page of the map and later letting
    /// go of it costs the kernel several µs, copying it a fraction of one, and the scan's resident
    /// size then holds only its runs, however much of the file it passes. The leaf pages of a
    /// database filled in key order lie mostly in file order with other databases' pages between
    /// them, so one `pread` copies a stretch from one leaf through the next ones ahead of it that
    /// are at most `gapPages` apart (the pages between included: a read costs more than copying a
    /// few pages), into a run of `runPages` pages that several reads fill.
    ///
    /// The tree is read as LMDB 0.9's data format lays it out (lmdb.h's `MDB_VERSION_*`, mdb.c's
    /// page and node layout): the scan reads the database's record in the main database, checks it
    /// against `mdb_stat` and each page's header against where it was found, and refuses what it
    /// does not know (a database with duplicates or integer keys, another library version, a
    /// write transaction, whose own changes are not in the file yet).
    /// - Returns: false when the scan cannot read `db` this way (nothing was visited: use a cursor);
    ///   true once it has visited the entries or `body` stopped it.
    /// - Throws: `LMDBError` when a read fails or a page is not what the tree says it is
    ///   (`MDB_CORRUPTED`); what `body` throws.
    public func scanCopying(_ db: Database, from start: UnsafeRawBufferPointer, runPages: Int = 256, gapPages: Int = 4,
                            _ body: (Entry, CopiedPages) throws -> Bool) throws -> Bool {
        guard var scan = try PageCopyScan(self, db, runPages: runPages, gapPages: gapPages) else { return false }
        try scan.visit(from: start, body)
        return true
    }
}

/// The state of one `scanCopying`: the file, the tree's geometry, and the runs it reuses.
struct PageCopyScan {
    // mdb.c's layout: a page header is pgno (8), pad (2), flags (2), lower (2), upper (2), then
    // the nodes' offsets (2 bytes each); a node is lo (2), hi (2), flags (2), key size (2), key,
    // data. A branch node's child page number is lo | hi << 16 | flags << 32; a leaf node's data
    // size is lo | hi << 16.
    static let headerSize = 16
    static let branchPage: UInt16 = 0x01, leafPage: UInt16 = 0x02, overflowPage: UInt16 = 0x04
    static let bigData: UInt16 = 0x01, subData: UInt16 = 0x02, dupData: UInt16 = 0x04
    /// MDB_db: pad (4), flags (2), depth (2), branch, leaf and overflow pages, entries, root (8 each).
    static let recordSize = 48
    static let noPage = UInt64.max

    let fd: Int32
    let pageSize: Int
    /// The last page of the file, and the database's overflow pages: bounds on what a page
    /// number or a value's size may ask for (a damaged one is an error, not a huge read).
    let lastPage: UInt64
    let overflowPages: Int
    let root: UInt64
    let depth: Int
    let runPages: Int
    let name: String
    var runs: [CopiedPages] = []
    let gapPages: UInt64
    /// The pages last read: the first one's number, how many, and where in the current run.
    var stretch: (first: UInt64, count: Int, offset: Int) = (0, 0, 0)
    /// One page for each branch level, read apart from the runs.
    var branches: [UnsafeMutableRawPointer] = []

    init?(_ txn: borrowing Transaction, _ db: Database, runPages: Int, gapPages: Int) throws {
        // A write transaction's own changes are in memory, not in the file.
        guard txn.isReadOnly else { return nil }
        // Only the data format this reader knows (LMDB 0.9, the one Debian's liblmdb writes).
        var major: Int32 = 0, minor: Int32 = 0, patch: Int32 = 0
        _ = mdb_version(&major, &minor, &patch)
        guard major == 0, minor == 9 else { return nil }
        var flags: UInt32 = 0
        try check(mdb_dbi_flags(txn.handle, db.id, &flags), "reading the flags of database '\(db.name)'")
        guard flags & UInt32(MDB_DUPSORT | MDB_INTEGERKEY | MDB_REVERSEKEY) == 0 else { return nil }
        let main = Database(id: txn.environment.mainDatabase, name: "")
        let record: [UInt8]? = try Array(db.name.utf8).withUnsafeBytes { name in
            try txn.get(main, key: name).map { Array($0) }
        }
        guard let record, record.count == Self.recordSize else { return nil }
        func field(_ offset: Int) -> UInt64 { record.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: offset, as: UInt64.self) } }
        let stat = try txn.stat(db)
        let recordDepth = record.withUnsafeBytes { Int($0.loadUnaligned(fromByteOffset: 6, as: UInt16.self)) }
        // The record must say what mdb_stat says of the same snapshot, or this is not the layout.
        guard recordDepth == stat.depth, field(8) == UInt64(stat.branchPages), field(16) == UInt64(stat.leafPages),
              field(24) == UInt64(stat.overflowPages), field(32) == UInt64(stat.entries) else { return nil }
        var handle: mdb_filehandle_t = -1
        try check(mdb_env_get_fd(txn.environment.handle, &handle), "reading the data file's handle")
        var info = MDB_envinfo()
        try check(mdb_env_info(txn.environment.handle, &info), "reading the environment's last page")
        fd = handle
        pageSize = stat.pageSize
        // Every page of this snapshot is at or before the last one written so far.
        lastPage = UInt64(info.me_last_pgno)
        overflowPages = stat.overflowPages
        root = stat.entries == 0 ? Self.noPage : field(40)
        depth = stat.depth
        self.runPages = max(1, runPages)
        self.gapPages = UInt64(max(1, gapPages))
        name = db.name
    }

    /// Walks the tree down to the leaf where `start` belongs, then every leaf from there on.
    mutating func visit(from start: UnsafeRawBufferPointer, _ body: (Entry, CopiedPages) throws -> Bool) throws {
        guard root != Self.noPage, depth >= 1 else { return }
        defer { for b in branches { b.deallocate() } }
        branches = (0..<depth - 1).map { _ in UnsafeMutableRawPointer.allocate(byteCount: pageSize, alignment: pageSize) }
        var current: CopiedPages?
        if depth == 1 {
            // The root is the only leaf.
            _ = try visitLeaves([root], from: start, seeking: true, current: &current, body)
        } else {
            _ = try descend(root, level: 0, from: start, seeking: true, current: &current, body)
        }
    }

    /// Visits the subtree of the branch page `page` at `level` (0 is the root); while `seeking`,
    /// only from the child where `start` belongs. Returns false when `body` stopped the scan.
    private mutating func descend(_ page: UInt64, level: Int, from start: UnsafeRawBufferPointer, seeking: Bool,
                                  current: inout CopiedPages?, _ body: (Entry, CopiedPages) throws -> Bool) throws -> Bool {
        let buffer = branches[level]
        try read(page, count: 1, into: buffer)
        try checkHeader(buffer, page: page, flags: Self.branchPage)
        let n = try nodeCount(buffer)
        guard n > 0 else { throw corrupted(page) }
        let children = try (0..<n).map { try child($0, of: buffer) }
        let first = seeking ? try childIndex(of: start, in: buffer, count: n, page: page) : 0
        if level == depth - 2 {
            return try visitLeaves(Array(children[first...]), from: start, seeking: seeking, current: &current, body)
        }
        for (i, child) in children[first...].enumerated() {
            if try !descend(child, level: level + 1, from: start, seeking: seeking && i == 0, current: &current, body) { return false }
        }
        return true
    }

    /// Visits the leaves `pages` in order, each found in the stretch of the file last read or read
    /// into the current run (or a fresh one) from it onwards; while `seeking`, the first leaf only
    /// from `start`.
    private mutating func visitLeaves(_ pages: [UInt64], from start: UnsafeRawBufferPointer, seeking: Bool,
                                      current: inout CopiedPages?, _ body: (Entry, CopiedPages) throws -> Bool) throws -> Bool {
        for (index, page) in pages.enumerated() {
            let (leaf, run) = try loadLeaf(page, current: &current, following: holds(page, current) ? [] : pages[(index + 1)...])
            let n = try nodeCount(leaf)
            for i in 0..<n {
                // Keys before `start` are passed over before their values are read.
                if seeking && index == 0, compare(try nodeKey(i, of: leaf, page: page), start) < 0 { continue }
                let (key, value) = try node(i, of: leaf, page: page, run: run)
                if try !body(Entry(key: key, value: value), run) { return false }
            }
        }
        return true
    }

    /// The leaf `page`, from the stretch of the file last read, or read now into the current run
    /// (a fresh one when it is full) from it onwards, through the `following` leaves that lie
    /// ahead of it at most `gapPages` apart, as far as the run has room: the pages between
    /// (other databases') are read too, one read instead of many.
    mutating func loadLeaf(_ page: UInt64, current: inout CopiedPages?,
                           following: ArraySlice<UInt64>) throws -> (UnsafeRawPointer, CopiedPages) {
        if !holds(page, current) {
            if current == nil || current!.used == current!.capacity {
                current = nil
                current = freeRun()
            }
            let run = current!
            let room = UInt64(run.capacity - run.used)
            var last = page
            for p in following {
                guard p > last, p - last <= gapPages, p < page + room else { break }
                last = p
            }
            let count = Int(last - page) + 1
            try read(page, count: count, into: run.base + run.used * pageSize)
            stretch = (page, count, run.used)
            run.used += count
        }
        let run = current!
        let leaf = run.base + (stretch.offset + Int(page - stretch.first)) * pageSize
        try checkHeader(leaf, page: page, flags: Self.leafPage)
        return (UnsafeRawPointer(leaf), run)
    }

    /// True when `page` is in the stretch last read (into `current`).
    func holds(_ page: UInt64, _ current: CopiedPages?) -> Bool {
        current != nil && page >= stretch.first && page < stretch.first + UInt64(stretch.count)
    }

    /// The key and value of node `i` of a leaf (a big value read from its overflow pages into
    /// memory `run` frees on refill).
    func node(_ i: Int, of leaf: UnsafeRawPointer, page: UInt64, run: CopiedPages) throws -> (UnsafeRawBufferPointer, UnsafeRawBufferPointer) {
        let node = try nodeOffset(leaf, i)
        let size = Int(leaf.loadUnaligned(fromByteOffset: node, as: UInt16.self))
            | Int(leaf.loadUnaligned(fromByteOffset: node + 2, as: UInt16.self)) << 16
        let flags = leaf.loadUnaligned(fromByteOffset: node + 4, as: UInt16.self)
        let keySize = Int(leaf.loadUnaligned(fromByteOffset: node + 6, as: UInt16.self))
        guard flags & (Self.subData | Self.dupData) == 0, node + 8 + keySize <= pageSize else { throw corrupted(page) }
        let key = UnsafeRawBufferPointer(start: leaf + node + 8, count: keySize)
        if flags & Self.bigData != 0 {
            guard node + 8 + keySize + 8 <= pageSize else { throw corrupted(page) }
            return (key, try readOverflow(leaf.loadUnaligned(fromByteOffset: node + 8 + keySize, as: UInt64.self), size: size, into: run))
        }
        guard node + 8 + keySize + size <= pageSize else { throw corrupted(page) }
        return (key, UnsafeRawBufferPointer(start: leaf + node + 8 + keySize, count: size))
    }

    /// The key of node `i` of a page (a branch's separator, a leaf's key).
    func nodeKey(_ i: Int, of p: UnsafeRawPointer, page: UInt64) throws -> UnsafeRawBufferPointer {
        let node = try nodeOffset(p, i)
        let size = Int(p.loadUnaligned(fromByteOffset: node + 6, as: UInt16.self))
        guard node + 8 + size <= pageSize else { throw corrupted(page) }
        return UnsafeRawBufferPointer(start: p + node + 8, count: size)
    }

    /// The child page number of node `i` of a branch.
    func child(_ i: Int, of p: UnsafeRawPointer) throws -> UInt64 {
        let node = try nodeOffset(p, i)
        let lo = UInt64(p.loadUnaligned(fromByteOffset: node, as: UInt16.self))
        let hi = UInt64(p.loadUnaligned(fromByteOffset: node + 2, as: UInt16.self))
        let top = UInt64(p.loadUnaligned(fromByteOffset: node + 4, as: UInt16.self))
        return lo | hi << 16 | top << 32
    }

    /// The child of a branch page where `key` belongs: the last whose separating key is at or
    /// before it (the first node's key is not stored: everything before the second node's key
    /// belongs to it).
    func childIndex(of key: UnsafeRawBufferPointer, in branch: UnsafeRawPointer, count n: Int, page: UInt64) throws -> Int {
        var lo = 1, hi = n
        while lo < hi {
            let mid = (lo + hi) / 2
            if compare(try nodeKey(mid, of: branch, page: page), key) > 0 { hi = mid } else { lo = mid + 1 }
        }
        return lo - 1
    }

    /// A value too large for a leaf: its overflow pages, read into memory the run frees on refill.
    func readOverflow(_ page: UInt64, size: Int, into run: CopiedPages) throws -> UnsafeRawBufferPointer {
        let pages = (Self.headerSize - 1 + size) / pageSize + 1 // mdb.c's OVPAGES
        guard pages <= overflowPages, page <= lastPage, UInt64(pages - 1) <= lastPage - page else { throw corrupted(page) }
        let memory = UnsafeMutableRawPointer.allocate(byteCount: pages * pageSize, alignment: pageSize)
        run.overflow.append(memory)
        try read(page, count: pages, into: memory)
        try checkHeader(memory, page: page, flags: Self.overflowPage)
        // At least as many pages as the value needs: LMDB overwrites a big value in place with a
        // smaller one without giving back the pages it no longer needs.
        guard Int(memory.loadUnaligned(fromByteOffset: 12, as: UInt32.self)) >= pages else { throw corrupted(page) }
        return UnsafeRawBufferPointer(start: memory + Self.headerSize, count: size)
    }

    /// A run nobody else holds (refilled), or a new one.
    mutating func freeRun() -> CopiedPages {
        for i in runs.indices where isKnownUniquelyReferenced(&runs[i]) {
            runs[i].reset()
            return runs[i]
        }
        let run = CopiedPages(pages: runPages, pageSize: pageSize)
        runs.append(run)
        return run
    }

    func read(_ page: UInt64, count: Int, into buffer: UnsafeMutableRawPointer) throws {
        guard count >= 1, page <= lastPage, UInt64(count - 1) <= lastPage - page else { throw corrupted(page) }
        var done = 0
        let total = count * pageSize
        while done < total {
            let n = pread(fd, buffer + done, total - done, off_t(Int(page) * pageSize + done))
            if n > 0 { done += n; continue }
            if n < 0 && errno == EINTR { continue }
            throw LMDBError(code: n < 0 ? errno : EIO, context: "reading page \(page) of database '\(name)' from the data file")
        }
    }

    func checkHeader(_ p: UnsafeRawPointer, page: UInt64, flags: UInt16) throws {
        guard p.loadUnaligned(as: UInt64.self) == page,
              p.loadUnaligned(fromByteOffset: 10, as: UInt16.self) & (Self.branchPage | Self.leafPage | Self.overflowPage) == flags
        else { throw corrupted(page) }
    }

    func nodeCount(_ p: UnsafeRawPointer) throws -> Int {
        let lower = Int(p.loadUnaligned(fromByteOffset: 12, as: UInt16.self))
        let upper = Int(p.loadUnaligned(fromByteOffset: 14, as: UInt16.self))
        guard lower >= Self.headerSize, lower <= upper, upper <= pageSize else { throw corrupted(p.loadUnaligned(as: UInt64.self)) }
        return (lower - Self.headerSize) >> 1
    }

    func nodeOffset(_ p: UnsafeRawPointer, _ i: Int) throws -> Int {
        let offset = Int(p.loadUnaligned(fromByteOffset: Self.headerSize + 2 * i, as: UInt16.self))
        let upper = Int(p.loadUnaligned(fromByteOffset: 14, as: UInt16.self))
        guard offset >= upper, offset + 8 <= pageSize else { throw corrupted(p.loadUnaligned(as: UInt64.self)) }
        return offset
    }

    /// LMDB's default order of keys: bytes compared as unsigned, a prefix first.
    func compare(_ a: UnsafeRawBufferPointer, _ b: UnsafeRawBufferPointer) -> Int {
        let n = min(a.count, b.count)
        if n > 0 {
            let c = memcmp(a.baseAddress!, b.baseAddress!, n)
            if c != 0 { return Int(c) }
        }
        return a.count - b.count
    }

    func corrupted(_ page: UInt64) -> LMDBError {
        LMDBError(code: MDB_CORRUPTED, context: "reading page \(page) of database '\(name)' from the data file")
    }
}
