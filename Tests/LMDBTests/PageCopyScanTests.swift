import Testing
import LMDB
import Glibc

/// A key as the ledger's log has them: 8 bytes, big-endian.
private func key(_ n: Int) -> [UInt8] { withUnsafeBytes(of: UInt64(n).bigEndian) { Array($0) } }

/// A value of `size` bytes that names its key (so that a value read under the wrong key shows).
private func value(_ n: Int, size: Int) -> [UInt8] {
    var v = [UInt8](repeating: UInt8(truncatingIfNeeded: n &* 31), count: size)
    withUnsafeBytes(of: UInt64(n).littleEndian) { for (i, b) in $0.enumerated() where i < size { v[i] = b } }
    return v
}

/// Value sizes that vary, with one in 97 too large for a leaf (LMDB's overflow pages).
private func size(_ n: Int) -> Int { n % 97 == 5 ? 5_000 + n % 3_000 : 40 + (n * 7919) % 600 }

private func put(_ txn: borrowing Transaction, _ db: Database, _ k: [UInt8], _ v: [UInt8]) throws {
    try k.withUnsafeBytes { k in try v.withUnsafeBytes { v in try txn.put(db, key: k, value: v) } }
}

/// Every entry from `start` on, through a cursor.
private func cursorEntries(_ env: Environment, _ db: Database, from start: [UInt8]) throws -> [([UInt8], [UInt8])] {
    try env.read { (txn: borrowing Transaction) throws in
        try txn.withCursor(db) { (c: inout Cursor) throws in
            var out: [([UInt8], [UInt8])] = []
            var e = try start.withUnsafeBytes { try c.seek(atOrAfter: $0) }
            while let entry = e {
                out.append((Array(entry.key), Array(entry.value)))
                e = try c.next()
            }
            return out
        }
    }
}

/// Every entry from `start` on, through `scanCopying`; nil when the scan refused the database.
private func copiedEntries(_ env: Environment, _ db: Database, from start: [UInt8], runPages: Int = 256,
                           gapPages: Int = 4) throws -> [([UInt8], [UInt8])]? {
    try env.read { (txn: borrowing Transaction) throws in
        var out: [([UInt8], [UInt8])] = []
        let done = try start.withUnsafeBytes { s in
            try txn.scanCopying(db, from: s, runPages: runPages, gapPages: gapPages) { entry, _ in
                out.append((Array(entry.key), Array(entry.value)))
                return true
            }
        }
        return done ? out : nil
    }
}

/// The trees the scans are checked on: empty, one leaf, three levels, and three levels with
/// pages freed and reused.
private let trees = [(count: 0, removed: 0), (count: 30, removed: 0), (count: 6_000, removed: 0), (count: 6_000, removed: 900)]

@Suite("LMDB wrapper: scans that copy pages with pread")
struct PageCopyScanTests {
    /// A database of `count` entries written in key order in transactions of 50, with another
    /// database written between them (so that the leaves are not next to each other in the
    /// file), then `removed` of them deleted and as many new ones written (pages freed and reused,
    /// out of file order).
    private func fill(_ env: Environment, count: Int, removed: Int = 0) throws -> Database {
        let db = try env.database("log")
        let other = try env.database("index")
        var n = 0
        while n < count {
            try env.write { (txn: borrowing Transaction) throws in
                for i in n..<min(count, n + 50) {
                    try put(txn, db, key(i * 2), value(i * 2, size: size(i)))
                    try put(txn, other, key((i * 7919) % 100_003), value(i, size: 120))
                }
            }
            n += 50
        }
        if removed > 0 {
            try env.write { (txn: borrowing Transaction) throws in
                for i in stride(from: 0, to: removed * 3, by: 3) { _ = try key(i * 2).withUnsafeBytes { try txn.delete(db, key: $0) } }
            }
            try env.write { (txn: borrowing Transaction) throws in
                for i in 0..<removed { try put(txn, db, key(i * 6 + 1), value(i * 6 + 1, size: size(i + 11))) }
            }
        }
        return db
    }

    @Test("visits what a cursor visits, in order, from any start, whatever the run and gap sizes", arguments: trees)
    func sameAsCursor(count: Int, removed: Int) throws {
        let dir = Scratch("copyscan"); defer { dir.remove() }
        let env = try Environment(path: dir.path)
        defer { env.close() }
        let db = try fill(env, count: count, removed: removed)
        let depth = try env.read { (txn: borrowing Transaction) throws in try txn.stat(db).depth }
        if count == 6_000 { #expect(depth >= 3, "the test's tree has branch pages under its root") }
        // The first key, one that is stored, one between two keys, one past the end.
        for start in [key(0), key(count), key(count + 1), key(count * 3)] {
            let expected = try cursorEntries(env, db, from: start)
            for (runPages, gapPages) in [(256, 4), (3, 1), (1, 1), (64, 64)] {
                let copied = try #require(try copiedEntries(env, db, from: start, runPages: runPages, gapPages: gapPages))
                #expect(copied.count == expected.count)
                #expect(copied.elementsEqual(expected) { $0.0 == $1.0 && $0.1 == $1.1 }, "start \(start), runs \(runPages), gap \(gapPages)")
            }
        }
    }

    @Test("a copying lookup finds what get finds, keys in order, out of order and missing", arguments: trees)
    func lookupSameAsGet(count: Int, removed: Int) throws {
        let dir = Scratch("copylookup"); defer { dir.remove() }
        let env = try Environment(path: dir.path)
        defer { env.close() }
        let db = try fill(env, count: count, removed: removed)
        // Every key in order with its neighbours (odd ones mostly missing), then a shuffled sample.
        var probes = (0..<(count * 2 + 3)).map { $0 }
        var random = SystemRandomNumberGenerator()
        probes += (0..<500).map { _ in Int.random(in: 0..<(count * 2 + 10), using: &random) }
        let (found, expected) = try env.read { (txn: borrowing Transaction) throws -> ([[UInt8]?], [[UInt8]?]) in
            let expected = try probes.map { n in try key(n).withUnsafeBytes { try txn.get(db, key: $0).map { Array($0) } } }
            let found = try #require(try txn.withCopyingLookup(db, runPages: 5, gapPages: 2) { lookup in
                try probes.map { n in try key(n).withUnsafeBytes { k in try lookup.find(k).map { Array($0.0.value) } } }
            })
            return (found, expected)
        }
        #expect(found.count == expected.count)
        #expect(zip(found, expected).allSatisfy { $0 == $1 }, "\(zip(found, expected).filter { $0 != $1 }.count) keys differ")
        #expect(expected.prefix(count * 2 + 3).compactMap { $0 }.count == count, "every stored key was probed once in order")
    }

    @Test("an entry stays readable while its run is held, and runs nobody holds are refilled")
    func runsAreHeldAndReused() throws {
        let dir = Scratch("copyhold"); defer { dir.remove() }
        let env = try Environment(path: dir.path)
        defer { env.close() }
        let db = try fill(env, count: 4_000)
        let (kept, distinct) = try env.read { (txn: borrowing Transaction) throws -> ([(CopiedPages, UnsafeRawBufferPointer, Int)], Int) in
            var kept: [(CopiedPages, UnsafeRawBufferPointer, Int)] = []
            var seen = Set<ObjectIdentifier>()
            var n = 0
            _ = try key(0).withUnsafeBytes { s in
                try txn.scanCopying(db, from: s, runPages: 4) { entry, run in
                    // Hold every 500th entry's run; let go of the others.
                    if n % 500 == 0 { kept.append((run, entry.value, n * 2)) }
                    seen.insert(ObjectIdentifier(run))
                    n += 1
                    return true
                }
            }
            return (kept, seen.count)
        }
        #expect(kept.count == 8)
        // The held entries still read as written, after the scan went on through the whole database.
        for (run, bytes, k) in kept {
            #expect(Array(bytes) == value(k, size: size(k / 2)))
            withExtendedLifetime(run) {}
        }
        // A run is reused once let go: the held ones, the current one and one more at most.
        #expect(distinct <= kept.count + 2, "\(distinct) runs for \(kept.count) held")
    }

    @Test("a scan sees its transaction's snapshot while a writer deletes and reuses pages")
    func snapshot() throws {
        let dir = Scratch("copysnap"); defer { dir.remove() }
        let env = try Environment(path: dir.path)
        defer { env.close() }
        let db = try fill(env, count: 3_000)
        let before = try cursorEntries(env, db, from: key(0))
        let copied = try env.read { (txn: borrowing Transaction) throws -> [([UInt8], [UInt8])] in
            var out: [([UInt8], [UInt8])] = []
            _ = try key(0).withUnsafeBytes { s in
                try txn.scanCopying(db, from: s, runPages: 8) { entry, _ in
                    if out.count == 100 {
                        // Several commits: freed pages are written again by the later ones.
                        for round in 0..<4 {
                            try env.write { (w: borrowing Transaction) throws in
                                for i in stride(from: round, to: 3_000, by: 4) {
                                    _ = try key(i * 2).withUnsafeBytes { try w.delete(db, key: $0) }
                                    try put(w, db, key(i * 2 + 1), value(0, size: 300))
                                }
                            }
                        }
                    }
                    out.append((Array(entry.key), Array(entry.value)))
                    return true
                }
            }
            return out
        }
        #expect(copied.elementsEqual(before) { $0.0 == $1.0 && $0.1 == $1.1 })
        #expect(try cursorEntries(env, db, from: key(0)).count == 3_000)
    }

    @Test("a database with duplicates is refused (nothing visited), so the caller uses a cursor")
    func refusesDuplicates() throws {
        let dir = Scratch("copydup"); defer { dir.remove() }
        let env = try Environment(path: dir.path)
        defer { env.close() }
        let db = try env.database("dups", flags: .duplicateSort)
        try env.write { (txn: borrowing Transaction) throws in
            for i in 0..<10 { try put(txn, db, key(1), value(i, size: 8)) }
        }
        #expect(try copiedEntries(env, db, from: key(0)) == nil)
    }

    @Test("a write transaction is refused (its own changes are not in the file yet)")
    func refusesWriteTransactions() throws {
        let dir = Scratch("copywrite"); defer { dir.remove() }
        let env = try Environment(path: dir.path)
        defer { env.close() }
        let db = try fill(env, count: 100)
        let visited = try env.write { (txn: borrowing Transaction) throws -> Bool in
            try put(txn, db, key(1), value(1, size: 10))
            return try key(0).withUnsafeBytes { s in try txn.scanCopying(db, from: s) { _, _ in true } }
        }
        #expect(!visited)
    }

    @Test("a leaf page that is not where the tree says is a typed error (MDB_CORRUPTED), not a crash")
    func damagedPage() throws {
        let dir = Scratch("copybad"); defer { dir.remove() }
        do {
            let env = try Environment(path: dir.path)
            _ = try fill(env, count: 2_000)
            env.close()
        }
        // A leaf of the log (it holds key 1000's value) gets another page number in its header.
        let fd = open(dir.path + "/data.mdb", O_RDWR)
        #expect(fd >= 0)
        let marker = value(1_000, size: 8)
        var page = [UInt8](repeating: 0, count: 4096)
        var damaged = false
        var offset = 0
        while !damaged, pread(fd, &page, 4096, off_t(offset)) == 4096 {
            let isLeaf = page[10] & 0x02 != 0
            if isLeaf, (0..<(4096 - 16)).contains(where: { i in page[i] == marker[0] && Array(page[i..<i + 8]) == marker }) {
                page[0] ^= 0xFF
                damaged = pwrite(fd, page, 4096, off_t(offset)) == 4096
            }
            offset += 4096
        }
        close(fd)
        #expect(damaged)
        let env = try Environment(path: dir.path)
        defer { env.close() }
        let db = try env.database("log")
        let error = #expect(throws: LMDBError.self) { _ = try copiedEntries(env, db, from: key(0)) }
        #expect(error?.code == LMDBError.corrupted.code)
    }
}
