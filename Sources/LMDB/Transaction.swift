import CLMDB

/// A transaction, read-only or read-write, lent to a closure by `Environment.read` or `.write`.
///
/// It cannot leave the closure (it is non-copyable and lent, not owned), and neither can the
/// buffers it hands out: they point into LMDB's memory map and are valid only until it ends.
public struct Transaction: ~Copyable {
    @usableFromInline let handle: OpaquePointer
    let environment: Environment
    /// True for a read-only transaction (`Environment.read`).
    let isReadOnly: Bool

    init(_ handle: OpaquePointer, environment: Environment, readOnly: Bool) {
        self.handle = handle
        self.environment = environment
        isReadOnly = readOnly
    }

    func openDatabase(_ name: String, create: Bool, flags: DatabaseFlags) throws(LMDBError) -> Database {
        var dbi: MDB_dbi = 0
        let all = flags.rawValue | (create ? UInt32(MDB_CREATE) : 0)
        try check(mdb_dbi_open(handle, name, all, &dbi), "opening database '\(name)'")
        return Database(id: dbi, name: name)
    }

    /// The value stored under `key`, or nil. The buffer is valid until the transaction ends.
    @inlinable
    public func get(_ db: Database, key: UnsafeRawBufferPointer) throws(LMDBError) -> UnsafeRawBufferPointer? {
        var k = MDB_val(mv_size: key.count, mv_data: UnsafeMutableRawPointer(mutating: key.baseAddress))
        var v = MDB_val()
        let rc = mdb_get(handle, db.id, &k, &v)
        if rc == MDB_NOTFOUND { return nil }
        if rc != 0 { throw LMDBError(code: rc, context: "reading from database '\(db.name)'") }
        return UnsafeRawBufferPointer(start: v.mv_data, count: v.mv_size)
    }

    /// Stores `value` under `key`.
    /// - Throws: `LMDBError.keyExists` with `.noOverwrite` when the key is there already.
    @inlinable
    public func put(_ db: Database, key: UnsafeRawBufferPointer, value: UnsafeRawBufferPointer, flags: PutFlags = []) throws(LMDBError) {
        var k = MDB_val(mv_size: key.count, mv_data: UnsafeMutableRawPointer(mutating: key.baseAddress))
        var v = MDB_val(mv_size: value.count, mv_data: UnsafeMutableRawPointer(mutating: value.baseAddress))
        let rc = mdb_put(handle, db.id, &k, &v, flags.rawValue)
        if rc != 0 { throw LMDBError(code: rc, context: "writing to database '\(db.name)'") }
    }

    /// Stores `key` unless it is there already; returns the existing value if it was.
    ///
    /// One B-tree search instead of a get followed by a put.
    @inlinable
    public func insertIfAbsent(_ db: Database, key: UnsafeRawBufferPointer, value: UnsafeRawBufferPointer) throws(LMDBError) -> UnsafeRawBufferPointer? {
        var k = MDB_val(mv_size: key.count, mv_data: UnsafeMutableRawPointer(mutating: key.baseAddress))
        var v = MDB_val(mv_size: value.count, mv_data: UnsafeMutableRawPointer(mutating: value.baseAddress))
        let rc = mdb_put(handle, db.id, &k, &v, UInt32(MDB_NOOVERWRITE))
        // lmdb.h: with MDB_NOOVERWRITE, "The data parameter will be set to point to the existing item."
        if rc == MDB_KEYEXIST { return UnsafeRawBufferPointer(start: v.mv_data, count: v.mv_size) }
        if rc != 0 { throw LMDBError(code: rc, context: "writing to database '\(db.name)'") }
        return nil
    }

    /// Reserves `size` bytes under `key` and lets `fill` write them in place (MDB_RESERVE):
    /// the value is built straight in the page, with no copy.
    @inlinable
    public func putReserving(_ db: Database, key: UnsafeRawBufferPointer, size: Int, flags: PutFlags = [],
                             _ fill: (UnsafeMutableRawBufferPointer) -> Void) throws(LMDBError) {
        var k = MDB_val(mv_size: key.count, mv_data: UnsafeMutableRawPointer(mutating: key.baseAddress))
        var v = MDB_val(mv_size: size, mv_data: nil)
        let rc = mdb_put(handle, db.id, &k, &v, flags.rawValue | UInt32(MDB_RESERVE))
        if rc != 0 { throw LMDBError(code: rc, context: "writing to database '\(db.name)'") }
        fill(UnsafeMutableRawBufferPointer(start: v.mv_data, count: size))
    }

    /// Removes `key`; returns whether it was there. Meant for state that is derived and disposable:
    /// the event log itself offers no way to reach this.
    @discardableResult
    public func delete(_ db: Database, key: UnsafeRawBufferPointer) throws(LMDBError) -> Bool {
        var k = MDB_val(mv_size: key.count, mv_data: UnsafeMutableRawPointer(mutating: key.baseAddress))
        let rc = mdb_del(handle, db.id, &k, nil)
        if rc == MDB_NOTFOUND { return false }
        if rc != 0 { throw LMDBError(code: rc, context: "deleting from database '\(db.name)'") }
        return true
    }

    /// Removes every entry of `db`, keeping the database itself.
    public func clear(_ db: Database) throws(LMDBError) {
        try check(mdb_drop(handle, db.id, 0), "clearing database '\(db.name)'")
    }

    /// Opens (creating it if asked) a named database from inside this write transaction.
    public func database(_ name: String, create: Bool = true, flags: DatabaseFlags = []) throws(LMDBError) -> Database {
        try openDatabase(name, create: create, flags: flags)
    }

    /// Entry count and pages of `db` as this transaction sees it.
    public func stat(_ db: Database) throws(LMDBError) -> DatabaseStat {
        var s = MDB_stat()
        try check(mdb_stat(handle, db.id, &s), "reading statistics of database '\(db.name)'")
        return DatabaseStat(entries: s.ms_entries, depth: Int(s.ms_depth), branchPages: s.ms_branch_pages,
                            leafPages: s.ms_leaf_pages, overflowPages: s.ms_overflow_pages, pageSize: Int(s.ms_psize))
    }

    /// Drops this process's page-table entries for the map, as `Environment.releaseMappedPages`
    /// does, from inside a transaction (which already keeps the map from moving). Pages this
    /// transaction changed are unaffected: LMDB keeps them in memory of its own until the commit.
    public func releaseMappedPages() {
        environment.releaseMappedPagesHoldingLock()
    }

    /// The id of this transaction (grows by one with every committed write).
    public var id: Int { mdb_txn_id(handle) }

    /// Runs `body` with a cursor on `db`; the cursor is closed when `body` returns.
    @inlinable
    public func withCursor<R, E: Error>(_ db: Database, _ body: (inout Cursor) throws(E) -> R) throws -> R {
        var raw: OpaquePointer?
        try check(mdb_cursor_open(handle, db.id, &raw), "opening cursor on database '\(db.name)'")
        var cursor = Cursor(raw!, database: db)
        defer { mdb_cursor_close(raw) }
        return try body(&cursor)
    }
}
