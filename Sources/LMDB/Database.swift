import CLMDB

/// Flags of a named database (lmdb.h's MDB_REVERSEKEY, MDB_DUPSORT, …), fixed when it is created.
public struct DatabaseFlags: OptionSet, Sendable {
    public let rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }
    /// Keys compare as native-endian unsigned integers of equal size.
    public static let integerKey = DatabaseFlags(rawValue: UInt32(MDB_INTEGERKEY))
    /// Several sorted values under one key.
    public static let duplicateSort = DatabaseFlags(rawValue: UInt32(MDB_DUPSORT))
}

/// A handle to a named database inside an environment: valid for the environment's lifetime.
public struct Database: Sendable, Hashable {
    /// LMDB's handle number (MDB_dbi).
    public let id: MDB_dbi
    /// The name it was opened under.
    public let name: String
}

/// Flags for a single put (lmdb.h's MDB_NOOVERWRITE, MDB_APPEND, …).
public struct PutFlags: OptionSet, Sendable {
    public let rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }
    /// Fail with `LMDBError.keyExists` instead of replacing an existing key.
    public static let noOverwrite = PutFlags(rawValue: UInt32(MDB_NOOVERWRITE))
    /// The key is known to sort after every key in the database: skip the search.
    public static let append = PutFlags(rawValue: UInt32(MDB_APPEND))
}

/// Page statistics of one database.
public struct DatabaseStat: Sendable {
    public let entries: Int
    public let depth: Int
    public let branchPages: Int
    public let leafPages: Int
    public let overflowPages: Int
    public let pageSize: Int
    /// Bytes in the pages this database uses.
    public var bytes: Int { (branchPages + leafPages + overflowPages) * pageSize }
}
