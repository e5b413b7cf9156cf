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
    /// Entries written into the rebuilt by_source index (one per event with a source reference;
    /// 0 when by_source did not need rebuilding).
    public var sourceEntries: Int
    /// Events read from the log to rebuild it.
    public var events: Int
    /// Seconds the upgrade took.
    public var seconds: Double
    /// The first sequence number whose observations stay out of by_customer (format 3): the ones
    /// before it keep the stream positions an earlier format gave them.
    public var observationsFrom: UInt64 = 1
}

extension Ledger {
    /// Events read per write transaction of the rebuild (keeps its dirty pages, and so its memory,
    /// small whatever the ledger's size).
    static let rebuildChunk = 100_000

    /// Brings a ledger of format `found` to `formatTag`: by_source is rebuilt when the ledger is
    /// older than format 2 (or such a rebuild was interrupted); then, in one transaction, the
    /// observation types are stored and observations from the next sequence number on stay out
    /// of by_customer (format 3). The log is read, never written.
    static func upgrade(_ environment: Environment, log: Database, bySource: Database, meta: Database, from found: String,
                        observationTypes: Set<String>) throws(LedgerError) -> FormatUpgrade {
        let started = clockSeconds()
        var done = FormatUpgrade(from: found, to: formatTag, sourceEntries: 0, events: 0, seconds: 0)
        if found != format2Tag {
            let source = try rebuildSourceIndex(environment, log: log, bySource: bySource, meta: meta, from: found)
            done.sourceEntries = source.sourceEntries
            done.events = source.events
        }
        do {
            done.observationsFrom = try environment.write { (txn: borrowing Transaction) throws -> UInt64 in
                let from = try adoptObservationTypes(observationTypes, in: txn, log: log, meta: meta)
                try putMeta(MetaKey.format, Array(formatTag.utf8), in: txn, meta: meta)
                return from
            }
        } catch let error as LMDBError {
            throw .storage(error)
        } catch {
            throw .io(path: environment.path, reason: "\(error)")
        }
        done.seconds = clockSeconds() - started
        return done
    }

    /// Rebuilds by_source in format 2's key layout from the log and records format 2.
    ///
    /// Only derived data changes: the log is read, never written. First the format is set to
    /// `upgradingTag` and by_source emptied, in one transaction; then the entries are written a
    /// chunk of events per transaction; the last one sets format 2. A crash in between leaves
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
                                    throw LedgerError.notALedger(path: environment.path, reason: "events \(readBE64(existing)) and \(sequence) have the same by_source key in format \(format2Tag); this build cannot upgrade the ledger")
                                }
                                written += 1
                            }
                            read += 1
                            following = sequence + 1
                            entry = try cursor.next()
                        }
                        end = entry == nil
                    }
                    if end { try setFormat(format2Tag, in: txn) }
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
        return FormatUpgrade(from: found, to: format2Tag, sourceEntries: entries, events: events, seconds: clockSeconds() - started)
    }

    static func clockSeconds() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    }
}
