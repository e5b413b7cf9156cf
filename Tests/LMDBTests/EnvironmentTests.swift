import Testing
import LMDB
import Glibc

/// A fresh folder under /tmp, removed by `remove()`.
struct Scratch {
    let path: String
    init(_ label: String) {
        var template = Array("/tmp/clientele-test-\(label)-XXXXXX".utf8CString)
        _ = template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }
        path = String(decoding: template.dropLast().map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
    func remove() {
        for name in ["data.mdb", "lock.mdb"] { unlink(path + "/" + name) }
        rmdir(path)
    }
}

func bytes(_ s: String) -> [UInt8] { Array(s.utf8) }

@Suite("LMDB wrapper")
struct EnvironmentTests {
    @Test("put, get and cursor walk round-trip in key order")
    func roundTrip() throws {
        let dir = Scratch("roundtrip"); defer { dir.remove() }
        let env = try Environment(path: dir.path)
        defer { env.close() }
        let db = try env.database("things")
        try env.write { (txn: borrowing Transaction) throws in
            for k in ["b", "a", "c"] {
                try bytes(k).withUnsafeBytes { k2 in try bytes("value-" + k).withUnsafeBytes { v in try txn.put(db, key: k2, value: v) } }
            }
        }
        let (value, keys) = try env.read { (txn: borrowing Transaction) throws -> (String?, [String]) in
            let v = try bytes("a").withUnsafeBytes { k in try txn.get(db, key: k).map { String(decoding: $0, as: UTF8.self) } }
            var seen: [String] = []
            try txn.withCursor(db) { (c: inout Cursor) throws in
                var e = try c.first()
                while let entry = e { seen.append(String(decoding: entry.key, as: UTF8.self)); e = try c.next() }
            }
            return (v, seen)
        }
        #expect(value == "value-a")
        #expect(keys == ["a", "b", "c"])
    }

    @Test("writeback of a non-durable environment's writes can be started before it is synced")
    func startsWriteback() throws {
        let dir = Scratch("writeback"); defer { dir.remove() }
        var options = EnvironmentOptions()
        options.durable = false
        let env = try Environment(path: dir.path, options: options)
        defer { env.close() }
        let db = try env.database("things")
        try env.write { (txn: borrowing Transaction) throws in
            try bytes("k").withUnsafeBytes { k in try [UInt8](repeating: 7, count: 100_000).withUnsafeBytes { v in try txn.put(db, key: k, value: v) } }
        }
        #expect(env.startWriteback(), "sync_file_range refused the models file (errno \(errno))")
        try env.sync()
        let count = try env.read { (txn: borrowing Transaction) throws -> Int? in try bytes("k").withUnsafeBytes { k in try txn.get(db, key: k)?.count } }
        #expect(count == 100_000)
    }

    @Test("the data file is created with mode 0600")
    func fileMode() throws {
        let dir = Scratch("mode"); defer { dir.remove() }
        let env = try Environment(path: dir.path)
        env.close()
        var st = stat()
        #expect(stat(dir.path + "/data.mdb", &st) == 0)
        #expect(st.st_mode & 0o777 == 0o600)
    }

    @Test("a full map grows instead of failing with MDB_MAP_FULL")
    func mapGrows() throws {
        let dir = Scratch("grow"); defer { dir.remove() }
        var options = EnvironmentOptions()
        options.initialMapSize = 64 << 10
        let env = try Environment(path: dir.path, options: options)
        defer { env.close() }
        let db = try env.database("big")
        let value = [UInt8](repeating: 7, count: 1000)
        for batch in 0..<20 {
            try env.write { (txn: borrowing Transaction) throws in
                for i in 0..<500 {
                    var key = UInt64(batch * 500 + i).bigEndian
                    try withUnsafeBytes(of: &key) { k in try value.withUnsafeBytes { v in try txn.put(db, key: k, value: v) } }
                }
            }
        }
        #expect(env.currentMapSize > 64 << 10)
        let count = try env.read { (txn: borrowing Transaction) throws in try txn.stat(db).entries }
        #expect(count == 10_000)
    }

    @Test("a growth limit ends in a typed MDB_MAP_FULL error")
    func mapLimit() throws {
        let dir = Scratch("limit"); defer { dir.remove() }
        var options = EnvironmentOptions()
        options.initialMapSize = 64 << 10
        options.maximumMapSize = 256 << 10
        let env = try Environment(path: dir.path, options: options)
        defer { env.close() }
        let db = try env.database("big")
        let value = [UInt8](repeating: 7, count: 4000)
        var caught = false
        do {
            try env.write { (txn: borrowing Transaction) throws in
                for i in 0..<1000 {
                    var key = UInt64(i).bigEndian
                    try withUnsafeBytes(of: &key) { k in try value.withUnsafeBytes { v in try txn.put(db, key: k, value: v) } }
                }
            }
        } catch LMDBError.mapFull {
            caught = true
        }
        #expect(caught)
    }

    @Test("typed errors match by code: keyExists from noOverwrite")
    func typedErrors() throws {
        let dir = Scratch("errors"); defer { dir.remove() }
        let env = try Environment(path: dir.path)
        defer { env.close() }
        let db = try env.database("d")
        var matched = false
        do {
            try env.write { (txn: borrowing Transaction) throws in
                try bytes("k").withUnsafeBytes { k in
                    try bytes("v").withUnsafeBytes { v in
                        try txn.put(db, key: k, value: v, flags: .noOverwrite)
                        try txn.put(db, key: k, value: v, flags: .noOverwrite)
                    }
                }
            }
        } catch LMDBError.keyExists {
            matched = true
        }
        #expect(matched)
        // The failed transaction wrote nothing.
        let n = try env.read { (txn: borrowing Transaction) throws in try txn.stat(db).entries }
        #expect(n == 0)
    }

    @Test("a file that is not LMDB is refused with a typed error, not a crash")
    func notLMDB() throws {
        let dir = Scratch("garbage"); defer { dir.remove() }
        let fd = open(dir.path + "/data.mdb", O_CREAT | O_WRONLY, 0o600)
        let junk = [UInt8](repeating: 0x41, count: 8192)
        _ = junk.withUnsafeBytes { write(fd, $0.baseAddress!, $0.count) }
        close(fd)
        #expect(throws: LMDBError.self) { _ = try Environment(path: dir.path) }
    }

    @Test("a read transaction keeps its snapshot while a writer commits")
    func snapshot() throws {
        let dir = Scratch("snapshot"); defer { dir.remove() }
        let env = try Environment(path: dir.path)
        defer { env.close() }
        let db = try env.database("d")
        let seen = try env.read { (txn: borrowing Transaction) throws -> Int in
            try env.write { (w: borrowing Transaction) throws in
                try bytes("k").withUnsafeBytes { k in try bytes("v").withUnsafeBytes { v in try w.put(db, key: k, value: v) } }
            }
            return try txn.stat(db).entries
        }
        #expect(seen == 0)
        let after = try env.read { (txn: borrowing Transaction) throws in try txn.stat(db).entries }
        #expect(after == 1)
    }

    @Test("releasing the map's pages takes them out of the resident size; what was read stays readable, even mid-transaction")
    func releaseMappedPages() throws {
        let dir = Scratch("release"); defer { dir.remove() }
        let env = try Environment(path: dir.path)
        defer { env.close() }
        let db = try env.database("d")
        let value = [UInt8](repeating: 7, count: 1000)
        try env.write { (txn: borrowing Transaction) throws in
            for i in 0..<4000 {
                var k = UInt32(i).bigEndian
                try withUnsafeBytes(of: &k) { k in try value.withUnsafeBytes { v in try txn.put(db, key: k, value: v) } }
            }
        }
        let file = dir.path + "/data.mdb"
        let (read, released, intact) = try env.read { (txn: borrowing Transaction) throws -> (Int, Int, Bool) in
            var sum = 0
            try txn.withCursor(db) { (c: inout Cursor) throws in
                var e = try c.first()
                while let entry = e { sum += Int(entry.value[999]); e = try c.next() }
            }
            #expect(sum == 7 * 4000)
            var k = UInt32(42).bigEndian
            let kept = try #require(try withUnsafeBytes(of: &k) { k in try txn.get(db, key: k) })
            let read = mappedResidentKiB(file)
            txn.releaseMappedPages()
            let released = mappedResidentKiB(file)
            // The value's memory is still the map's: reading it faults the page in again.
            return (read, released, kept.count == 1000 && kept.allSatisfy { $0 == 7 })
        }
        #expect(read >= 3000)
        #expect(released < 100)
        #expect(intact)
        _ = try env.read { (txn: borrowing Transaction) throws in
            try txn.withCursor(db) { (c: inout Cursor) throws in
                var e = try c.first()
                while let entry = e { _ = entry.value[999]; e = try c.next() }
            }
        }
        #expect(mappedResidentKiB(file) >= 3000)
        env.releaseMappedPages()
        #expect(mappedResidentKiB(file) < 100)
        env.close()
        env.releaseMappedPages()   // after close: nothing to do, and no crash
    }
}

extension String {
    var trimmingSuffixNewline: Substring { hasSuffix("\n") ? dropLast() : self[...] }
}

/// The resident size of this process's mappings of `file`, in KiB, from /proc/self/smaps.
func mappedResidentKiB(_ file: String) -> Int {
    guard let f = fopen("/proc/self/smaps", "r") else { return -1 }
    defer { fclose(f) }
    var total = 0
    var inFile = false
    var line = [CChar](repeating: 0, count: 4096)
    while fgets(&line, Int32(line.count), f) != nil {
        let text = String(decoding: line.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        guard let first = text.split(separator: " ", omittingEmptySubsequences: true).first else { continue }
        if !first.hasSuffix(":") {
            // A mapping's header: "start-end perms offset dev inode path".
            inFile = text.trimmingSuffixNewline.hasSuffix(" " + file)
        } else if inFile && first == "Rss:" {
            total += Int(text.split(separator: " ", omittingEmptySubsequences: true)[1]) ?? 0
        }
    }
    return total
}
