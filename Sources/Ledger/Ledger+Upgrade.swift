import LMDB
#if canImport(Glibc)
import Glibc
#endif

/// What `LedgerOptions.upgrade` did to a ledger of an earlier format.
public struct FormatUpgrade: Sendable {
    /// The format the ledger had (or the marker of an upgrade left unfinished).
    public var from: String
    /// The format it has now (`Ledger.formatTag`).
    public var to: String
    /// Entries written into the rebuilt by_source index (one per event with a source reference).
    public var sourceEntries: Int
    /// Events read from the log to rebuild it.
    public var events: Int
    /// Seconds the rebuild took.
    public var seconds: Double
}

extension Ledger {
    /// Events read per write transaction of the rebuild (keeps its dirty pages, and so its memory,
    /// small whatever the ledger's size).
    static let rebuildChunk = 100_000

    /// Rebuilds by_source in this format's key layout from the log and records the new format.
    ///
    /// Only derived data changes: the log is read, never written. First the format is set to
    /// `upgradingTag` and by_source emptied, in one transaction; then the entries are written a
    /// chunk of events per transaction; the last one sets `formatTag`. A crash in between leaves
    /// the marker, which makes every open refuse the ledger until the upgrade is run again (it
    /// then starts over).
    /// - Throws: `LedgerError.storage` when LMDB fails; `.notALedger` when two events would share a key.
    static func rebuildSourceIndex(_ environment: Environment, log: Database, bySource: Database, meta: Database,
                                   from found: String) throws(LedgerError) -> FormatUpgrade {
        let started = clockSeconds()
        let formatKey = Array("format".utf8)
        func setFormat(_ tag: String, in txn: borrowing Transaction) throws {
            let value = Array(tag.utf8)
            try formatKey.withUnsafeBytes { k in
                try value.withUnsafeBytes { v in try txn.put(meta, key: k, value: v) }
            }
        }
        var entries = 0
        var events = 0
        do {
            try environment.write { (txn: borrowing Transaction) throws in
                try setFormat(upgradingTag, in: txn)
                try txn.clear(bySource)
            }
            var next: UInt64 = 1
            var done = false
            while !done {
                let chunk = try environment.write { (txn: borrowing Transaction) throws -> (next: UInt64, entries: Int, events: Int, done: Bool) in
                    let keys = KeyBuffer()
                    var written = 0, read = 0
                    var following = next
                    var end = false
                    try txn.withCursor(log) { (cursor: inout Cursor) throws in
                        var entry = try cursor.seek(atOrAfter: keys.sequenceKey(next))
                        while let e = entry, read < rebuildChunk {
                            guard e.key.count == 8, let record = EventRecord(e.value) else {
                                throw LedgerError.notALedger(path: environment.path, reason: "an event near sequence \(following) is damaged; run `clientele verify` before upgrading")
                            }
                            let sequence = readBE64(e.key)
                            if record.hasSource {
                                var be = sequence.bigEndian
                                let existing = try withUnsafeBytes(of: &be) { (v) throws(LMDBError) in
                                    try txn.insertIfAbsent(bySource, key: keys.sourceKey(record.sourceBytes, record.externalIdBytes), value: v)
                                }
                                if let existing {
                                    throw LedgerError.notALedger(path: environment.path, reason: "events \(readBE64(existing)) and \(sequence) have the same by_source key in format \(formatTag); this build cannot upgrade the ledger")
                                }
                                written += 1
                            }
                            read += 1
                            following = sequence + 1
                            entry = try cursor.next()
                        }
                        end = entry == nil
                    }
                    if end { try setFormat(formatTag, in: txn) }
                    return (following, written, read, end)
                }
                next = chunk.next
                entries += chunk.entries
                events += chunk.events
                done = chunk.done
            }
        } catch let error as LMDBError {
            throw .storage(error)
        } catch let error as LedgerError {
            throw error
        } catch {
            throw .io(path: environment.path, reason: "\(error)")
        }
        return FormatUpgrade(from: found, to: formatTag, sourceEntries: entries, events: events, seconds: clockSeconds() - started)
    }

    private static func clockSeconds() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    }
}
