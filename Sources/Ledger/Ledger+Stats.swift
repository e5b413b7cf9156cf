import LMDB
#if canImport(Glibc)
import Glibc
#endif

/// The size and shape of a ledger, for `clientele stats`.
public struct LedgerStats: Sendable {
    /// Events in the log (its last sequence number).
    public var events: UInt64 = 0
    /// Customers with at least one event.
    public var customers: Int = 0
    /// Events per type, most frequent first.
    public var eventsByType: [(type: String, count: Int)] = []
    /// Stores with at least one event.
    public var stores: Int = 0
    /// Entries per database (log and indexes).
    public var entriesByDatabase: [(name: String, entries: Int, bytes: Int)] = []
    /// Bytes of the data file on disk.
    public var fileBytes: Int = 0
    /// Bytes of the map in use (up to the last page written).
    public var usedBytes: Int = 0
    /// The current map size.
    public var mapSize: Int = 0
    /// Occurred-at time of the earliest and latest events (business time).
    public var firstOccurred: Timestamp?
    public var lastOccurred: Timestamp?
}

extension Ledger {
    /// Counts events, customers and types in one snapshot.
    ///
    /// - Complexity: one pass over the keys of by_type, one jump per customer and store.
    public func stats() throws(LedgerError) -> LedgerStats {
        var stats = try reading { txn, keys -> LedgerStats in
            var s = LedgerStats()
            s.events = try self.head(in: txn, keys: keys).0
            s.customers = try self.countPrefixes(self.byCustomer, suffix: 4, in: txn, keys: keys)
            s.stores = try self.countPrefixes(self.byStore, suffix: 8, in: txn, keys: keys)
            var byType: [String: Int] = [:]
            try txn.withCursor(self.byType) { (cursor: inout Cursor) throws in
                var entry = try cursor.first()
                var current: [UInt8] = []
                var count = 0
                while let e = entry {
                    let n = e.key.count - 8
                    let same = current.count == n && current.withUnsafeBytes { memcmp($0.baseAddress!, e.key.baseAddress!, n) == 0 }
                    if !same {
                        if !current.isEmpty { byType[String(decoding: current.dropFirst(), as: UTF8.self), default: 0] += count }
                        current = [UInt8](UnsafeRawBufferPointer(rebasing: e.key[0..<n]))
                        count = 0
                    }
                    count += 1
                    entry = try cursor.next()
                }
                if !current.isEmpty { byType[String(decoding: current.dropFirst(), as: UTF8.self), default: 0] += count }
            }
            s.eventsByType = byType.map { ($0.key, $0.value) }.sorted { $0.1 != $1.1 ? $0.1 > $1.1 : $0.0 < $1.0 }
            for db in [self.log, self.byCustomer, self.byObserved, self.byType, self.byStore, self.byActor, self.byTime, self.bySource] {
                let st = try txn.stat(db)
                s.entriesByDatabase.append((db.name, st.entries, st.bytes))
            }
            try txn.withCursor(self.byTime) { (cursor: inout Cursor) throws in
                if let first = try cursor.first() { s.firstOccurred = try self.occurred(of: readBE64(first.key, at: 8), txn: txn, keys: keys) }
                if let last = try cursor.last() { s.lastOccurred = try self.occurred(of: readBE64(last.key, at: 8), txn: txn, keys: keys) }
            }
            return s
        }
        do {
            let info = try environment.info()
            stats.usedBytes = info.usedBytes
            stats.mapSize = info.mapSize
        } catch {
            throw .storage(error)
        }
        var st = stat()
        if stat(path + "/data.mdb", &st) == 0 { stats.fileBytes = Int(st.st_size) }
        return stats
    }

    private func occurred(of sequence: UInt64, txn: borrowing Transaction, keys: borrowing KeyBuffer) throws -> Timestamp? {
        try txn.get(log, key: keys.sequenceKey(sequence)).flatMap { EventRecord($0)?.occurredAt }
    }

    /// Every store with an event in the ledger, sorted (one jump per store through `by_store`,
    /// whose keys put shorter names first).
    public func stores() throws(LedgerError) -> [String] {
        try reading { txn, keys -> [String] in
            var names: [String] = []
            _ = try self.countPrefixes(self.byStore, suffix: 8, in: txn, keys: keys) { prefix in
                names.append(String(decoding: UnsafeRawBufferPointer(rebasing: prefix.dropFirst()), as: UTF8.self))
            }
            return names.sorted()
        }
    }

    /// True when some event was recorded at `store` (one seek in the store index): a store the
    /// ledger has never seen is more likely a typo than a quiet day.
    public func knows(store: String) throws(LedgerError) -> Bool {
        let name = Array(store.utf8)
        guard name.count <= Int(UInt8.max) else { return false }
        return try reading { txn, keys -> Bool in
            let prefix = [UInt8(name.count)] + name
            return try txn.withCursor(self.byStore) { (cursor: inout Cursor) throws -> Bool in
                prefix.withUnsafeBytes { keys.putBytes($0, at: 0) }
                guard let e = try cursor.seek(atOrAfter: keys.bytes(prefix.count)) else { return false }
                return e.key.count > prefix.count && e.key.starts(with: prefix)
            }
        }
    }

    /// Distinct `u8 len ‖ name` prefixes in an index whose keys end in `suffix` bytes, jumping from
    /// one to the next; `each` is shown each prefix (valid only during the call).
    private func countPrefixes(_ db: Database, suffix: Int, in txn: borrowing Transaction, keys: borrowing KeyBuffer,
                               each: ((UnsafeRawBufferPointer) -> Void)? = nil) throws -> Int {
        try txn.withCursor(db) { (cursor: inout Cursor) throws -> Int in
            var count = 0
            var entry = try cursor.first()
            while let e = entry {
                count += 1
                let n = e.key.count - suffix
                each?(UnsafeRawBufferPointer(rebasing: e.key[0..<n]))
                keys.putBytes(UnsafeRawBufferPointer(rebasing: e.key[0..<n]), at: 0)
                for i in 0..<suffix { keys.base.storeBytes(of: 0xFF, toByteOffset: n + i, as: UInt8.self) }
                entry = try cursor.seek(atOrAfter: keys.bytes(n + suffix))
            }
            return count
        }
    }
}
