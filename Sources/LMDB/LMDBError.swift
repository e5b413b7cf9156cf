import CLMDB

/// An error reported by LMDB, with the operation Clientele was doing when it happened.
///
/// Match a particular code with `catch LMDBError.mapFull` (or any other static code below):
/// the match compares codes only, so context is free to say what we were doing.
public struct LMDBError: Error, CustomStringConvertible, Sendable {
    /// The raw return code: an `MDB_*` value, or an `errno` value from the operating system.
    public let code: Int32
    /// What Clientele was doing, e.g. "opening environment at ./data/clientele".
    public let context: String

    /// Creates an error for `code` that happened while doing `context`.
    public init(code: Int32, context: String) {
        self.code = code
        self.context = context
    }

    /// The text LMDB (or the operating system) gives for this code.
    public var message: String { String(cString: mdb_strerror(code)) }

    public var description: String { "\(context): \(message) (code \(code))" }

    /// A pattern that matches errors with this code, for `catch LMDBError.mapFull`.
    public static func ~= (pattern: LMDBError, error: any Error) -> Bool {
        guard let other = error as? LMDBError else { return false }
        return other.code == pattern.code
    }

    private init(_ code: Int32) { self.init(code: code, context: "") }

    /// MDB_KEYEXIST: key/data pair already exists.
    public static let keyExists = LMDBError(MDB_KEYEXIST)
    /// MDB_NOTFOUND: key/data pair not found (EOF).
    public static let notFound = LMDBError(MDB_NOTFOUND)
    /// MDB_PAGE_NOTFOUND: requested page not found — usually the database is corrupted.
    public static let pageNotFound = LMDBError(MDB_PAGE_NOTFOUND)
    /// MDB_CORRUPTED: located page was the wrong type.
    public static let corrupted = LMDBError(MDB_CORRUPTED)
    /// MDB_PANIC: update of meta page failed or environment had a fatal error.
    public static let panic = LMDBError(MDB_PANIC)
    /// MDB_VERSION_MISMATCH: environment version mismatch.
    public static let versionMismatch = LMDBError(MDB_VERSION_MISMATCH)
    /// MDB_INVALID: file is not a valid LMDB file.
    public static let invalid = LMDBError(MDB_INVALID)
    /// MDB_MAP_FULL: environment mapsize reached.
    public static let mapFull = LMDBError(MDB_MAP_FULL)
    /// MDB_DBS_FULL: environment maxdbs reached.
    public static let dbsFull = LMDBError(MDB_DBS_FULL)
    /// MDB_READERS_FULL: environment maxreaders reached.
    public static let readersFull = LMDBError(MDB_READERS_FULL)
    /// MDB_TLS_FULL: too many TLS keys in use.
    public static let tlsFull = LMDBError(MDB_TLS_FULL)
    /// MDB_TXN_FULL: transaction has too many dirty pages.
    public static let txnFull = LMDBError(MDB_TXN_FULL)
    /// MDB_CURSOR_FULL: internal error — cursor stack limit reached.
    public static let cursorFull = LMDBError(MDB_CURSOR_FULL)
    /// MDB_PAGE_FULL: internal error — page has no more space.
    public static let pageFull = LMDBError(MDB_PAGE_FULL)
    /// MDB_MAP_RESIZED: database contents grew beyond environment mapsize (another process grew it).
    public static let mapResized = LMDBError(MDB_MAP_RESIZED)
    /// MDB_INCOMPATIBLE: operation and database incompatible, or database flags changed.
    public static let incompatible = LMDBError(MDB_INCOMPATIBLE)
    /// MDB_BAD_RSLOT: invalid reuse of reader locktable slot.
    public static let badReaderSlot = LMDBError(MDB_BAD_RSLOT)
    /// MDB_BAD_TXN: transaction must abort, has a child, or is invalid.
    public static let badTransaction = LMDBError(MDB_BAD_TXN)
    /// MDB_BAD_VALSIZE: unsupported size of key/DB name/data, or wrong DUPFIXED size.
    public static let badValueSize = LMDBError(MDB_BAD_VALSIZE)
    /// MDB_BAD_DBI: the specified DBI was changed unexpectedly.
    public static let badDatabase = LMDBError(MDB_BAD_DBI)
}

/// Turns an LMDB return code into a thrown `LMDBError` (0 is success).
@inline(__always) @usableFromInline
func check(_ rc: Int32, _ context: @autoclosure () -> String) throws(LMDBError) {
    if rc != 0 { throw LMDBError(code: rc, context: context()) }
}
