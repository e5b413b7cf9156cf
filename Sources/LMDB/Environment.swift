import CLMDB
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// How to open an LMDB environment.
public struct EnvironmentOptions: Sendable {
    /// The map size to start with, in bytes. The map grows by itself when full.
    public var initialMapSize: Int = 1 << 30
    /// The largest the map may grow to, in bytes (the file only takes the space it uses).
    public var maximumMapSize: Int = 1 << 40
    /// How many named databases the environment may hold.
    public var maxDatabases: UInt32 = 32
    /// How many read transactions may be open at once, across all processes.
    public var maxReaders: UInt32 = 512
    /// Flush to disk at every commit (LMDB's default). Turn off only for throwaway data.
    public var durable: Bool = true
    /// Open read-only (for inspection tools).
    public var readOnly: Bool = false
    /// The mode of the files created: owner read/write only.
    public var fileMode: mode_t = 0o600

    /// The defaults: durable, 1 GiB to start, growing up to 1 TiB.
    public init() {}
}

/// An open LMDB environment: one data file, its lock file, and the named databases in it.
///
/// Open it once per process (lmdb.h: "Do not have open an LMDB database twice in the same
/// process at the same time"). Reads may run on any thread at once; writes are closure-scoped
/// and serialized by LMDB's writer lock, and the caller keeps each on one thread.
public final class Environment: @unchecked Sendable {
    // @unchecked Sendable: the MDB_env handle is thread-safe for concurrent transactions
    // (opened with MDB_NOTLS); the map-size field is guarded by `resizeLock`, the map's address by a Mutex.
    let handle: OpaquePointer
    /// The folder holding `data.mdb` and `lock.mdb`.
    public let path: String
    /// The options it was opened with.
    public let options: EnvironmentOptions
    private let resizeLock = ReadWriteLock()
    private let closeLock = ReadWriteLock()
    private var mapSize: Int
    private var isClosed = false
    /// Where the map is in this process, once `releaseMappedPages` has looked it up; forgotten
    /// (under the resize lock's write side) whenever the map moves.
    private let map = Mutex<(address: UInt, size: Int)?>(nil)
    /// The handle of the main database (whose records are the named databases' roots and counts).
    let mainDatabase: MDB_dbi
    /// Names already opened, so that a database is opened (and its handle made) only once.
    private let databases = DatabaseRegistry()

    /// Opens (and creates if need be) the environment in folder `path`.
    ///
    /// The folder must exist. Stale reader slots left by dead processes are cleared at open.
    /// - Throws: `LMDBError` with the path in its context.
    public init(path: String, options: EnvironmentOptions = EnvironmentOptions()) throws(LMDBError) {
        var env: OpaquePointer?
        try check(mdb_env_create(&env), "creating LMDB environment")
        guard let env else { throw LMDBError(code: ENOMEM, context: "creating LMDB environment") }
        do {
            try check(mdb_env_set_maxdbs(env, options.maxDatabases), "setting max databases")
            try check(mdb_env_set_maxreaders(env, options.maxReaders), "setting max readers")
            try check(mdb_env_set_mapsize(env, options.initialMapSize), "setting map size")
            // lmdb.h: MDB_NOTLS ties reader locktable slots to MDB_txn objects instead of to
            // threads, so a read transaction may be used from whichever thread a task runs on.
            var flags = UInt32(MDB_NOTLS)
            if !options.durable { flags |= UInt32(MDB_NOSYNC) }
            if options.readOnly { flags |= UInt32(MDB_RDONLY) }
            try check(mdb_env_open(env, path, flags, options.fileMode), "opening LMDB environment at \(path)")
            var dead: Int32 = 0
            try check(mdb_reader_check(env, &dead), "clearing stale readers at \(path)")
            var info = MDB_envinfo()
            try check(mdb_env_info(env, &info), "reading environment info at \(path)")
            self.mapSize = max(info.me_mapsize, options.initialMapSize)
            // The main database's handle, made once here: opening it sets comparison functions in
            // state the environment shares, which concurrent scans must not write.
            var txn: OpaquePointer?
            try check(mdb_txn_begin(env, nil, UInt32(MDB_RDONLY), &txn), "opening the main database at \(path)")
            var main: MDB_dbi = 0
            let rc = mdb_dbi_open(txn, nil, 0, &main)
            mdb_txn_abort(txn)
            try check(rc, "opening the main database at \(path)")
            self.mainDatabase = main
        } catch {
            // lmdb.h: "If this function fails, mdb_env_close() must be called to discard the MDB_env handle."
            mdb_env_close(env)
            throw error
        }
        self.handle = env
        self.path = path
        self.options = options
    }

    deinit {
        if !isClosed { mdb_env_close(handle) }
    }

    /// Closes the environment. Call it when no transaction is running; later calls do nothing.
    public func close() {
        closeLock.withWriteLock {
            if !isClosed {
                isClosed = true
                mdb_env_close(handle)
            }
        }
    }

    /// Opens (creating it if asked) the named database, once per environment.
    public func database(_ name: String, create: Bool = true, flags: DatabaseFlags = []) throws(LMDBError) -> Database {
        if let existing = databases.lookup(name) { return existing }
        let db: Database
        do {
            db = try write { (txn) throws(LMDBError) -> Database in
                try txn.openDatabase(name, create: create, flags: flags)
            }
        } catch let error as LMDBError {
            throw error
        } catch {
            throw LMDBError(code: EIO, context: "opening database '\(name)': \(error)")
        }
        databases.store(db, for: name)
        return db
    }

    /// Runs `body` in a read-only transaction: a consistent snapshot of the whole environment.
    ///
    /// Buffers handed out inside point into the map and are valid only inside `body`.
    public func read<R, E: Error>(_ body: (borrowing Transaction) throws(E) -> R) throws -> R {
        while true {
            do {
                return try resizeLock.withReadLock { () throws -> R in
                    var txn: OpaquePointer?
                    let rc = mdb_txn_begin(handle, nil, UInt32(MDB_RDONLY), &txn)
                    if rc == MDB_MAP_RESIZED { throw MapResized() }
                    try check(rc, "beginning read transaction at \(path)")
                    let transaction = Transaction(txn!, environment: self, readOnly: true)
                    defer { mdb_txn_abort(txn) }
                    return try body(transaction)
                }
            } catch is MapResized {
                try adoptResizedMap()
            }
        }
    }

    /// Runs `body` in a write transaction and commits it; aborts it if `body` throws.
    ///
    /// When the map is full, the transaction is aborted, the map doubled and `body` run again
    /// from the start, so `body` must compute everything it writes from its inputs. Only one
    /// write transaction runs at a time (LMDB's writer lock, across processes); lmdb.h binds it
    /// to the thread that began it, so `body` must not await.
    public func write<R, E: Error>(_ body: (borrowing Transaction) throws(E) -> R) throws -> R {
        while true {
            do {
                return try resizeLock.withReadLock { () throws -> R in
                    var txn: OpaquePointer?
                    let rc = mdb_txn_begin(handle, nil, 0, &txn)
                    if rc == MDB_MAP_RESIZED { throw MapResized() }
                    try check(rc, "beginning write transaction at \(path)")
                    let transaction = Transaction(txn!, environment: self, readOnly: false)
                    let result: R
                    do {
                        result = try body(transaction)
                    } catch {
                        mdb_txn_abort(txn)
                        throw error
                    }
                    try check(mdb_txn_commit(txn), "committing write transaction at \(path)")
                    return result
                }
            } catch LMDBError.mapFull {
                try grow()
            } catch is MapResized {
                try adoptResizedMap()
            }
        }
    }

    /// Thrown inside a transaction's lock when another process grew the map, to adopt its size outside it.
    private struct MapResized: Error {}

    /// Adopts the map size another process gave the file (lmdb.h, MDB_MAP_RESIZED: "call
    /// mdb_env_set_mapsize() with a size of zero"), waiting until no transaction of this process
    /// is running: it moves the map, which must not happen under a reader or a `madvise`.
    private func adoptResizedMap() throws(LMDBError) {
        try resizeLock.withWriteLock { () throws(LMDBError) in
            map.withLock { $0 = nil }
            try check(mdb_env_set_mapsize(handle, 0), "adopting the map size another process set at \(path)")
            var info = MDB_envinfo()
            try check(mdb_env_info(handle, &info), "reading environment info at \(path)")
            mapSize = max(mapSize, info.me_mapsize)
        }
    }

    /// Doubles the map, waiting until no transaction of this process is running
    /// (lmdb.h: mdb_env_set_mapsize "may be called ... if no transactions are active in this process").
    private func grow() throws(LMDBError) {
        try resizeLock.withWriteLock { () throws(LMDBError) in
            let next = mapSize * 2
            guard next <= options.maximumMapSize else {
                throw LMDBError(code: MDB_MAP_FULL, context: "growing the map past its limit of \(options.maximumMapSize) bytes at \(path)")
            }
            map.withLock { $0 = nil }
            try check(mdb_env_set_mapsize(handle, next), "growing the map to \(next) bytes at \(path)")
            mapSize = next
        }
    }

    /// Drops this process's page-table entries for the map, so that the pages it has read stop
    /// counting in its resident size; they stay in the kernel's page cache, and the next read of
    /// one maps it again from there (a minor fault, no I/O).
    ///
    /// Safe at any time, even while transactions run: LMDB writes through `write(2)`, never
    /// through the map (this wrapper does not use MDB_WRITEMAP), so the map is a read-only shared
    /// file mapping whose contents the page cache always holds. The map is not moved meanwhile
    /// (the resize lock is held), so the advice never lands on memory that is not LMDB's.
    ///
    /// Does nothing when the map cannot be found (no /proc) or the advice fails: it only saves memory.
    /// - Complexity: O(pages mapped); the next read of each costs a minor fault.
    public func releaseMappedPages() {
        closeLock.withReadLock {
            guard !isClosed else { return }
            resizeLock.withReadLock { releaseMappedPagesHoldingLock() }
        }
    }

    /// `releaseMappedPages` for a caller that holds the resize lock already (a transaction).
    func releaseMappedPagesHoldingLock() {
        guard let (address, size) = map.withLock({ $0 }) ?? locateMap(),
              let base = UnsafeMutableRawPointer(bitPattern: address) else { return }
        var info = MDB_envinfo()
        var stat = MDB_stat()
        guard mdb_env_info(handle, &info) == 0, mdb_env_stat(handle, &stat) == 0 else { return }
        // Only the pages in use: the rest of the map was never touched.
        let used = min(size, (info.me_last_pgno + 1) * Int(stat.ms_psize))
        _ = madvise(base, used, MADV_DONTNEED)
    }

    /// Finds the map (see `mappedRange`) and remembers it until it moves.
    private func locateMap() -> (address: UInt, size: Int)? {
        guard let (base, size) = mappedRange() else { return nil }
        let found = (address: UInt(bitPattern: base), size: size)
        map.withLock { $0 = found }
        return found
    }

    /// Where LMDB mapped the data file in this process: the shared mapping of its inode at offset 0,
    /// from /proc/self/maps (lmdb.h gives the address only for MDB_FIXEDMAP). Call it with the
    /// resize lock held, so that the map cannot move before the address is used.
    private func mappedRange() -> (UnsafeMutableRawPointer, Int)? {
        var fd: mdb_filehandle_t = -1
        guard mdb_env_get_fd(handle, &fd) == 0, fd >= 0 else { return nil }
        var st = stat()
        guard fstat(fd, &st) == 0 else { return nil }
        let maps = open("/proc/self/maps", O_RDONLY)
        guard maps >= 0 else { return nil }
        defer { Glibc.close(maps) }
        var text: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65_536)
        while true {
            let n = Glibc.read(maps, &chunk, chunk.count)
            if n <= 0 { break }
            text += chunk[0..<n]
        }
        // "start-end perms offset major:minor inode path"
        for line in text.split(separator: 0x0A) {
            let fields = line.split(separator: 0x20, maxSplits: 5, omittingEmptySubsequences: true)
            guard fields.count >= 5, fields[1].count == 4, fields[1].last == UInt8(ascii: "s"),
                  UInt64(String(decoding: fields[4], as: UTF8.self)) == UInt64(st.st_ino),
                  UInt64(String(decoding: fields[2], as: UTF8.self), radix: 16) == 0 else { continue }
            let device = fields[3].split(separator: UInt8(ascii: ":"))
            guard device.count == 2,
                  let major = UInt64(String(decoding: device[0], as: UTF8.self), radix: 16),
                  let minor = UInt64(String(decoding: device[1], as: UTF8.self), radix: 16),
                  major == Self.major(UInt64(st.st_dev)), minor == Self.minor(UInt64(st.st_dev)) else { continue }
            let bounds = fields[0].split(separator: UInt8(ascii: "-"))
            guard bounds.count == 2,
                  let start = UInt(String(decoding: bounds[0], as: UTF8.self), radix: 16),
                  let end = UInt(String(decoding: bounds[1], as: UTF8.self), radix: 16), end > start,
                  let base = UnsafeMutableRawPointer(bitPattern: start) else { continue }
            return (base, Int(end - start))
        }
        return nil
    }

    /// glibc's encoding of a device number (sys/sysmacros.h, which Swift does not import).
    private static func major(_ dev: UInt64) -> UInt64 { ((dev >> 8) & 0xfff) | ((dev >> 32) & ~0xfff) }
    private static func minor(_ dev: UInt64) -> UInt64 { (dev & 0xff) | ((dev >> 12) & ~0xff) }

    /// The current map size in bytes.
    public var currentMapSize: Int { resizeLock.withReadLock { mapSize } }

    /// Page counts and geometry of the environment.
    public func info() throws(LMDBError) -> EnvironmentInfo {
        var info = MDB_envinfo()
        try check(mdb_env_info(handle, &info), "reading environment info at \(path)")
        var stat = MDB_stat()
        try check(mdb_env_stat(handle, &stat), "reading environment stat at \(path)")
        return EnvironmentInfo(
            mapSize: info.me_mapsize, lastPageNumber: info.me_last_pgno, lastTransactionID: info.me_last_txnid,
            maxReaders: Int(info.me_maxreaders), readersInUse: Int(info.me_numreaders), pageSize: Int(stat.ms_psize))
    }

    /// Writes a consistent copy of the environment to the empty folder `folder`, while writers go on.
    ///
    /// - Parameter compact: leave out free pages and renumber the rest (MDB_CP_COMPACT).
    public func copy(to folder: String, compact: Bool = true) throws(LMDBError) {
        try check(mdb_env_copy2(handle, folder, compact ? UInt32(MDB_CP_COMPACT) : 0), "copying environment to \(folder)")
    }

    /// Flushes the data buffers to disk (useful when opened with `durable: false`).
    public func sync() throws(LMDBError) {
        try check(mdb_env_sync(handle, 1), "syncing environment at \(path)")
    }

    /// Starts writing what the last transactions wrote back to disk, without waiting for it: a
    /// hint for an environment opened with `durable: false` that writes much and then `sync`s,
    /// so that the sync finds most of it written. Best effort.
    /// - Returns: false when the kernel did not take the hint (nothing else changes then).
    @discardableResult
    public func startWriteback() -> Bool {
        var fd: mdb_filehandle_t = -1
        guard mdb_env_get_fd(handle, &fd) == 0, fd >= 0 else { return false }
        return clmdb_start_writeback(fd) == 0
    }
}

/// Geometry and use of an environment, for statistics.
public struct EnvironmentInfo: Sendable {
    public let mapSize: Int
    public let lastPageNumber: Int
    public let lastTransactionID: Int
    public let maxReaders: Int
    public let readersInUse: Int
    public let pageSize: Int
    /// Bytes in use up to the last page, free pages included.
    public var usedBytes: Int { (lastPageNumber + 1) * pageSize }
}

/// The names opened in an environment, so each is opened once.
final class DatabaseRegistry: @unchecked Sendable {
    // @unchecked Sendable: the dictionary is guarded by `lock`.
    private let lock = ReadWriteLock()
    private var byName: [String: Database] = [:]
    func lookup(_ name: String) -> Database? { lock.withReadLock { byName[name] } }
    func store(_ db: Database, for name: String) { lock.withWriteLock { byName[name] = db } }
}
