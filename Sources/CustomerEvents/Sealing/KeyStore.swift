import Crypto
import LMDB
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// One customer's data key (AES-256), unwrapped.
public struct DataKey: Sendable, Hashable {
    let bytes: [UInt8]
    var symmetric: SymmetricKey { SymmetricKey(data: bytes) }
    init(_ key: SymmetricKey) { bytes = key.withUnsafeBytes { Array($0) } }
    init(bytes: [UInt8]) { self.bytes = bytes }
}

/// What the key store knows of one customer's data key.
public enum CustomerKeyState: Sendable {
    /// The key exists and is unwrapped.
    case active(DataKey)
    /// The key was destroyed by an erasure: the customer's personal data is gone for good.
    case erased
    /// No key was ever made (the customer has no sealed data yet).
    case none
    /// Keys exist but no master key was given, so none can be unwrapped.
    case locked
}

/// Why a key operation failed.
public enum KeyStoreError: Error, CustomStringConvertible, Sendable {
    case storage(LMDBError)
    case noMasterKey(MasterKey.LoadError)
    case erased(customer: String)
    case damaged(customer: String)

    public var description: String {
        switch self {
        case .storage(let e): return "key store: \(e)"
        case .noMasterKey(let e): return e.description
        case .erased(let c): return "customer '\(c)' was erased: no new personal data may be recorded under that id"
        case .damaged(let c): return "the data key of customer '\(c)' cannot be unwrapped with this master key (wrong key file?)"
        }
    }
}

/// Per-customer data keys, each wrapped (AES-GCM) by the master key, in an LMDB environment of
/// their own at `<ledger>/keys` — apart from the log, so that destroying one can rewrite this
/// small file without touching the log.
///
/// Erasure (crypto-shredding) replaces the wrapped key with a tombstone and then rewrites the
/// file compacted: LMDB keeps freed pages, and a compacting copy is how the old bytes leave the
/// database file (and every backup made after).
public final class KeyStore: Sendable {
    private struct State: ~Copyable {
        var environment: Environment
        var database: Database
        var inode: ino_t
        var cache: [String: DataKey] = [:]
        var lastCheck: Int64 = 0
    }

    /// The folder of the key environment.
    public let path: String
    private let masterKey: MasterKey?
    private let loadError: MasterKey.LoadError?
    private let state: Mutex<State>
    private static let cacheLimit = 200_000
    static let tombstone: [UInt8] = [0]

    /// Why sealing would refuse (nil when a master key is loaded): lets a command that is about
    /// to write personal data say so before it writes anything.
    public var sealingProblem: MasterKey.LoadError? { masterKey == nil ? (loadError ?? .missing) : nil }

    /// Opens (creating it) the key store of the ledger at `ledgerPath`. Without a master key,
    /// sealed fields stay sealed when read and sealing refuses with `loadError`'s message.
    public init(ledgerPath: String, masterKey: MasterKey?, loadError: MasterKey.LoadError? = nil) throws(KeyStoreError) {
        path = ledgerPath + "/keys"
        self.masterKey = masterKey
        self.loadError = loadError
        if mkdir(path, 0o700) != 0 && errno != EEXIST {
            throw .storage(LMDBError(code: errno, context: "creating \(path)"))
        }
        let (env, db, inode) = try KeyStore.open(path)
        state = Mutex(State(environment: env, database: db, inode: inode))
    }

    private static func open(_ path: String) throws(KeyStoreError) -> (Environment, Database, ino_t) {
        do {
            var options = EnvironmentOptions()
            options.initialMapSize = 64 << 20
            let env = try Environment(path: path, options: options)
            let db = try env.database("keys")
            var st = stat()
            stat(path + "/data.mdb", &st)
            return (env, db, st.st_ino)
        } catch {
            throw .storage(error)
        }
    }

    /// Reopens the environment if another process rewrote it (an erasure), at most once a second.
    private func refreshIfReplaced(_ s: inout State, force: Bool = false) throws(KeyStoreError) {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        let now = Int64(ts.tv_sec)
        guard force || now != s.lastCheck else { return }
        s.lastCheck = now
        var st = stat()
        guard stat(path + "/data.mdb", &st) == 0, st.st_ino != s.inode else { return }
        let (env, db, inode) = try KeyStore.open(path)
        s.environment.close()
        s.environment = env
        s.database = db
        s.inode = inode
        s.cache.removeAll()
    }

    /// The state of `customer`'s key.
    public func key(for customer: String) throws(KeyStoreError) -> CustomerKeyState {
        let result: Result<CustomerKeyState, KeyStoreError> = state.withLock { s in
            do {
                try refreshIfReplaced(&s)
                if let k = s.cache[customer] { return .success(.active(k)) }
                let stored = try KeyStore.lookup(customer, in: s)
                guard let stored else { return .success(.none) }
                if stored == KeyStore.tombstone { return .success(.erased) }
                guard let masterKey else { return .success(.locked) }
                let key = try unwrap(stored, customer: customer, master: masterKey)
                remember(key, for: customer, in: &s)
                return .success(.active(key))
            } catch let e as KeyStoreError {
                return .failure(e)
            } catch {
                return .failure(.storage(error as? LMDBError ?? LMDBError(code: EIO, context: "\(error)")))
            }
        }
        return try result.get()
    }

    /// The active keys of `customers`, making (durably, in one transaction) those that have none.
    ///
    /// - Throws: `.erased` for a customer whose key was destroyed; `.noMasterKey` without a master key.
    public func keys(creatingFor customers: some Collection<String>) throws(KeyStoreError) -> [String: DataKey] {
        guard let masterKey else { throw .noMasterKey(loadError ?? .missing) }
        let result: Result<[String: DataKey], KeyStoreError> = state.withLock { s in
            do {
                try refreshIfReplaced(&s, force: true)
                var out: [String: DataKey] = [:]
                var missing: [String] = []
                for c in customers where out[c] == nil {
                    if let k = s.cache[c] { out[c] = k } else { missing.append(c) }
                }
                if missing.isEmpty { return .success(out) }
                let db = s.database
                let created: [String: DataKey] = try s.environment.write { (txn: borrowing Transaction) throws -> [String: DataKey] in
                    var made: [String: DataKey] = [:]
                    for c in missing where made[c] == nil {
                        let existing = try Array(c.utf8).withUnsafeBytes { k in try txn.get(db, key: k).map { [UInt8]($0) } }
                        if let existing {
                            if existing == KeyStore.tombstone { throw KeyStoreError.erased(customer: c) }
                            made[c] = try self.unwrap(existing, customer: c, master: masterKey)
                            continue
                        }
                        let key = DataKey(bytes: SecureRandom.bytes(32))
                        let wrapped = try self.wrap(key, customer: c, master: masterKey)
                        try Array(c.utf8).withUnsafeBytes { k in try wrapped.withUnsafeBytes { v in try txn.put(db, key: k, value: v) } }
                        made[c] = key
                    }
                    return made
                }
                for (c, k) in created { out[c] = k; remember(k, for: c, in: &s) }
                return .success(out)
            } catch let e as KeyStoreError {
                return .failure(e)
            } catch {
                return .failure(.storage(error as? LMDBError ?? LMDBError(code: EIO, context: "\(error)")))
            }
        }
        return try result.get()
    }

    /// Destroys `customer`'s data key for good (a tombstone stays, so the id cannot be re-keyed)
    /// and rewrites the key file compacted, so the wrapped key's bytes are nowhere in it.
    /// Returns false when the customer had no key.
    @discardableResult
    public func destroy(_ customer: String) throws(KeyStoreError) -> Bool {
        let result: Result<Bool, KeyStoreError> = state.withLock { s in
            do {
                try refreshIfReplaced(&s, force: true)
                let db = s.database
                let had: Bool = try s.environment.write { (txn: borrowing Transaction) throws -> Bool in
                    try Array(customer.utf8).withUnsafeBytes { k in
                        let existing = try txn.get(db, key: k).map { [UInt8]($0) }
                        try KeyStore.tombstone.withUnsafeBytes { v in try txn.put(db, key: k, value: v) }
                        return existing != nil && existing != KeyStore.tombstone
                    }
                }
                s.cache[customer] = nil
                try compact(&s)
                return .success(had)
            } catch let e as KeyStoreError {
                return .failure(e)
            } catch {
                return .failure(.storage(error as? LMDBError ?? LMDBError(code: EIO, context: "\(error)")))
            }
        }
        return try result.get()
    }

    /// Copies the environment compacted beside itself and swaps it in.
    private func compact(_ s: inout State) throws {
        let fresh = path + ".compact-\(getpid())"
        let old = path + ".old-\(getpid())"
        removeFolder(fresh)
        guard mkdir(fresh, 0o700) == 0 else { throw LMDBError(code: errno, context: "creating \(fresh)") }
        try s.environment.copy(to: fresh, compact: true)
        s.environment.close()
        guard rename(path, old) == 0, rename(fresh, path) == 0 else { throw LMDBError(code: errno, context: "swapping in the compacted key store") }
        removeFolder(old)
        let (env, db, inode) = try KeyStore.open(path)
        s.environment = env
        s.database = db
        s.inode = inode
    }

    private func removeFolder(_ folder: String) {
        for name in ["data.mdb", "lock.mdb"] { unlink(folder + "/" + name) }
        rmdir(folder)
    }

    private static func lookup(_ customer: String, in s: borrowing State) throws -> [UInt8]? {
        let db = s.database
        return try s.environment.read { (txn: borrowing Transaction) throws -> [UInt8]? in
            try Array(customer.utf8).withUnsafeBytes { k in try txn.get(db, key: k).map { [UInt8]($0) } }
        }
    }

    private func remember(_ key: DataKey, for customer: String, in s: inout State) {
        if s.cache.count >= KeyStore.cacheLimit { s.cache.removeAll(keepingCapacity: true) }
        s.cache[customer] = key
    }

    /// `1 ‖ nonce ‖ ciphertext ‖ tag`, bound to the customer id (associated data).
    private func wrap(_ key: DataKey, customer: String, master: MasterKey) throws -> [UInt8] {
        let box = try AES.GCM.seal(key.bytes, using: master.key, nonce: AES.GCM.Nonce(data: SecureRandom.bytes(12)), authenticating: Array(customer.utf8))
        guard let combined = box.combined else { throw KeyStoreError.damaged(customer: customer) }
        return [1] + Array(combined)
    }

    private func unwrap(_ stored: [UInt8], customer: String, master: MasterKey) throws(KeyStoreError) -> DataKey {
        guard stored.count > 1, stored[0] == 1 else { throw .damaged(customer: customer) }
        do {
            let box = try AES.GCM.SealedBox(combined: stored[1...])
            let raw = try AES.GCM.open(box, using: master.key, authenticating: Array(customer.utf8))
            return DataKey(bytes: Array(raw))
        } catch {
            throw .damaged(customer: customer)
        }
    }

    /// Closes the environment.
    public func close() { state.withLock { $0.environment.close() } }
}
