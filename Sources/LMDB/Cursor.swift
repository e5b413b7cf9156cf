import CLMDB

/// A key and value seen through a cursor; both point into the map and live as long as the transaction.
public struct Entry {
    public let key: UnsafeRawBufferPointer
    public let value: UnsafeRawBufferPointer

    /// Starts loading the value's memory into the cache, for a scan that reads it soon.
    @inlinable
    public func prefetchValue() {
        if let base = value.baseAddress { clmdb_prefetch(base, UInt(value.count)) }
    }

    @inlinable
    init(key: UnsafeRawBufferPointer, value: UnsafeRawBufferPointer) {
        self.key = key
        self.value = value
    }
}

/// A position in one database, lent to a closure by `Transaction.withCursor`.
///
/// Each move returns the entry it lands on, or nil at either end (never throws for "not found").
public struct Cursor: ~Copyable {
    @usableFromInline let handle: OpaquePointer
    @usableFromInline let database: Database

    @usableFromInline
    init(_ handle: OpaquePointer, database: Database) {
        self.handle = handle
        self.database = database
    }

    @inlinable
    func move(_ op: MDB_cursor_op, key: UnsafeRawBufferPointer? = nil) throws(LMDBError) -> Entry? {
        var k = MDB_val()
        if let key { k = MDB_val(mv_size: key.count, mv_data: UnsafeMutableRawPointer(mutating: key.baseAddress)) }
        var v = MDB_val()
        let rc = mdb_cursor_get(handle, &k, &v, op)
        if rc == MDB_NOTFOUND { return nil }
        if rc != 0 { throw LMDBError(code: rc, context: "moving cursor on database '\(database.name)'") }
        return Entry(key: UnsafeRawBufferPointer(start: k.mv_data, count: k.mv_size),
                     value: UnsafeRawBufferPointer(start: v.mv_data, count: v.mv_size))
    }

    /// The first entry.
    @inlinable public mutating func first() throws(LMDBError) -> Entry? { try move(MDB_FIRST) }
    /// The last entry.
    @inlinable public mutating func last() throws(LMDBError) -> Entry? { try move(MDB_LAST) }
    /// The entry after the current one.
    @inlinable public mutating func next() throws(LMDBError) -> Entry? { try move(MDB_NEXT) }
    /// The entry before the current one.
    @inlinable public mutating func previous() throws(LMDBError) -> Entry? { try move(MDB_PREV) }
    /// The entry the cursor is on.
    @inlinable public mutating func current() throws(LMDBError) -> Entry? { try move(MDB_GET_CURRENT) }
    /// The first entry whose key is at or after `key` (MDB_SET_RANGE).
    @inlinable public mutating func seek(atOrAfter key: UnsafeRawBufferPointer) throws(LMDBError) -> Entry? {
        try move(MDB_SET_RANGE, key: key)
    }
    /// The entry whose key is exactly `key` (MDB_SET_KEY).
    @inlinable public mutating func seek(exactly key: UnsafeRawBufferPointer) throws(LMDBError) -> Entry? {
        try move(MDB_SET_KEY, key: key)
    }

    /// Stores `value` under `key` through this cursor, leaving it on the new entry. When the key
    /// falls on the page the cursor is already on, LMDB searches only that page (mdb_cursor_set),
    /// which makes "look up, then insert next to it" one descent of the tree instead of two.
    @inlinable
    public mutating func put(key: UnsafeRawBufferPointer, value: UnsafeRawBufferPointer, flags: PutFlags = []) throws(LMDBError) {
        var k = MDB_val(mv_size: key.count, mv_data: UnsafeMutableRawPointer(mutating: key.baseAddress))
        var v = MDB_val(mv_size: value.count, mv_data: UnsafeMutableRawPointer(mutating: value.baseAddress))
        let rc = mdb_cursor_put(handle, &k, &v, flags.rawValue)
        if rc != 0 { throw LMDBError(code: rc, context: "writing to database '\(database.name)'") }
    }

    /// Replaces the value of the current entry (for derived state and tests, never for the log).
    public mutating func replaceCurrent(value: UnsafeRawBufferPointer) throws(LMDBError) {
        var k = MDB_val()
        var v0 = MDB_val()
        try check(mdb_cursor_get(handle, &k, &v0, MDB_GET_CURRENT), "reading cursor on database '\(database.name)'")
        var v = MDB_val(mv_size: value.count, mv_data: UnsafeMutableRawPointer(mutating: value.baseAddress))
        try check(mdb_cursor_put(handle, &k, &v, UInt32(MDB_CURRENT)), "replacing value in database '\(database.name)'")
    }
}
