import LMDB
#if canImport(Glibc)
import Glibc
#endif

extension Ledger {
    /// The event with sequence number `sequence`, or nil when the log has none.
    public func event(_ sequence: UInt64) throws(LedgerError) -> RecordedEvent? {
        var found: RecordedEvent?
        try scan(.all(from: sequence, through: sequence)) { found = $0; return false }
        return found
    }

    /// Visits the events `query` selects, one at a time, in one consistent snapshot;
    /// `body` returns false to stop. Memory stays flat whatever the log's size.
    public func scan(_ query: EventQuery, _ body: (RecordedEvent) throws -> Bool) throws(LedgerError) {
        try scanRecords(query) { record in try body(record.decode()) }
    }

    /// Like `scan`, but lends each event as a zero-copy view of the stored bytes, valid only
    /// inside `body`: the fastest way to fold over the log.
    public func scanRecords(_ query: EventQuery, _ body: (EventRecord) throws -> Bool) throws(LedgerError) {
        try fileObservationsBeforeScanning(query)
        try reading { txn, keys in
            try self.scan(query, in: txn, keys: keys, body)
        }
    }

    /// Before a customer's scan that returns observations: when many events lie past what
    /// by_observed covers, files them first (`indexObservations`), so that the scan does not
    /// walk them all. A few are found by walking; so are all of them when filing fails (a full
    /// disk, say): the read is answered either way.
    func fileObservationsBeforeScanning(_ query: EventQuery) throws(LedgerError) {
        guard case .customer = query.index, query.includesObservations else { return }
        let span = try reading { txn, keys in try self.unfiledObservationSpan(in: txn, keys: keys) }
        if span > Ledger.unfiledObservationsWalked { _ = try? indexObservations() }
    }

    /// How many events past by_observed a customer's scan walks rather than filing them first.
    static let unfiledObservationsWalked: UInt64 = 20_000

    /// Lends the events with the given sequence numbers (in the order given, in one snapshot) as
    /// zero-copy views valid only inside `body`; numbers past the head are skipped. For readers that
    /// keep pointers into the log, such as the 360 view's profile events.
    public func records(_ sequences: [UInt64], _ body: (EventRecord) throws -> Bool) throws(LedgerError) {
        guard !sequences.isEmpty else { return }
        let log = self.log
        try reading { txn, keys in
            // One cursor for them all: LMDB looks for a key on the cursor's page first, so events
            // close in the log (a registration and its consents) cost one descent of the tree.
            try txn.withCursor(log) { (cursor: inout Cursor) throws in
                for sequence in sequences {
                    guard let found = try cursor.seek(exactly: keys.sequenceKey(sequence)) else { continue }
                    guard let record = EventRecord(found.value) else {
                        throw LedgerError.notALedger(path: path, reason: "event \(sequence) is damaged; run `clientele verify`")
                    }
                    if try !body(record) { break }
                }
            }
        }
    }

    /// `scanRecords` for a reader that hands the events' views to other threads: `finishing` runs
    /// after the last event, with the read transaction still open, so that whatever still holds
    /// views of the scanned events (another thread folding them) may finish with them. It is told
    /// whether the scan ended without an error (false: the error follows). A query that
    /// `releasesMappedPages` lets go of the map's pages as it moves on (`MappedFileBudget`), so
    /// that the whole file does not count in its resident size.
    ///
    /// A scan of the log that `copiesPages` lends each event with the run of copied pages it is
    /// in: a reader that keeps the view past `body` holds that run (`CopiedPages`) for as long
    /// as it needs the view. Nil when the event is in the map (valid until `finishing` returns).
    public func scanRecords(_ query: EventQuery, _ body: (EventRecord, CopiedPages?) throws -> Bool,
                            finishing: (_ completed: Bool) -> Void) throws(LedgerError) {
        try fileObservationsBeforeScanning(query)
        try reading { txn, keys in
            var completed = false
            defer { finishing(completed) }
            try self.scan(query, in: txn, keys: keys, lending: body)
            completed = true
        }
    }

    /// Runs `body` in a read transaction, turning storage failures into `LedgerError`.
    func reading<R>(_ body: (borrowing Transaction, borrowing KeyBuffer) throws -> R) throws(LedgerError) -> R {
        let keys = KeyBuffer()
        return try mappingErrors { try environment.read { (txn: borrowing Transaction) throws -> R in try body(txn, keys) } }
    }

    /// Runs `body` in a write transaction of its own (outside the group-commit writer), turning
    /// storage failures into `LedgerError`.
    func writing<R>(_ body: (borrowing Transaction) throws -> R) throws(LedgerError) -> R {
        try mappingErrors { try environment.write { (txn: borrowing Transaction) throws -> R in try body(txn) } }
    }

    private func mappingErrors<R>(_ body: () throws -> R) throws(LedgerError) -> R {
        do {
            return try body()
        } catch let error as LMDBError {
            throw .storage(error)
        } catch let error as LedgerError {
            throw error
        } catch {
            throw .io(path: path, reason: "\(error)")
        }
    }

    func scan(_ query: EventQuery, in txn: borrowing Transaction, keys: borrowing KeyBuffer,
              _ body: (EventRecord) throws -> Bool) throws {
        try scan(query, in: txn, keys: keys, lending: { record, _ in try body(record) })
    }

    /// `scan`, lending each event with the run of copied pages it is in, if any (`copiesPages`).
    func scan(_ query: EventQuery, in txn: borrowing Transaction, keys: borrowing KeyBuffer,
              lending lent: (EventRecord, CopiedPages?) throws -> Bool) throws {
        let range = query.sequences
        func body(_ record: EventRecord) throws -> Bool { try lent(record, nil) }
        func damaged(_ sequence: UInt64) -> LedgerError {
            .notALedger(path: path, reason: "event \(sequence) is damaged; run `clientele verify`")
        }
        switch query.index {
        case .log:
            if query.copiesPages {
                // Through pread into runs of pages (`Transaction.scanCopying`); a cursor through the
                // map when the file's format is not one that scan reads.
                let copied = try txn.scanCopying(log, from: keys.sequenceKey(range.lowerBound)) { entry, run in
                    guard entry.key.count == 8 else {
                        throw LedgerError.notALedger(path: path, reason: "the log holds a key of \(entry.key.count) bytes, not an event number; run `clientele verify`")
                    }
                    let sequence = readBE64(entry.key)
                    if sequence > range.upperBound { return false }
                    guard let record = EventRecord(entry.value) else { throw damaged(sequence) }
                    return try lent(record, run)
                }
                if copied { return }
            }
            try txn.withCursor(log) { (cursor: inout Cursor) throws in
                // One entry ahead: while the body reads this event, the next one's bytes are loading.
                var entry = try cursor.seek(atOrAfter: keys.sequenceKey(range.lowerBound))
                entry?.prefetchValue()
                var budget = MappedFileBudget()
                let bounded = query.releasesMappedPages
                while let e = entry {
                    let sequence = readBE64(e.key)
                    if sequence > range.upperBound { break }
                    entry = try cursor.next()
                    entry?.prefetchValue()
                    guard let record = EventRecord(e.value) else { throw damaged(sequence) }
                    if try !body(record) { break }
                    if bounded && budget.exceeded() { txn.releaseMappedPages(); budget.released() }
                }
            }
        case .customer(let id):
            // The stream (by_customer), with the customer's observations merged in by sequence
            // number: the filed ones walked with a cursor of their own (a customer read a million
            // times costs no more memory than one read once), then the unfiled ones.
            let types = query.includesObservations ? try observationTypes(in: txn) : []
            let probe = keys.customerKey(id, version: 1)
            let prefixLength = probe.count - 4
            let prefix = [UInt8](UnsafeRawBufferPointer(rebasing: probe[0..<prefixLength]))
            guard let from = types.map(\.from).min() else {
                try visitIndex(byCustomer, in: txn, from: probe, prefix: prefix, range: range, keys: keys,
                               sequenceOf: { e in e.value.count == 8 ? readBE64(e.value) : nil }, body)
                return
            }
            let indexed = try observationsIndexed(in: txn)
            let lowest = max(range.lowerBound, 1)
            let tail = try unfiledObservations(of: id, types: types, after: max(indexed, lowest - 1), through: range.upperBound,
                                               in: txn, keys: keys)
            let filedProbe = [UInt8](keys.nameKey(id, sequence: max(lowest, from)))
            let filedPrefix = Array(filedProbe.dropLast(8))
            let filedEnd = min(range.upperBound, indexed)
            try txn.withCursor(byObserved) { (filed: inout Cursor) throws in
                func filedSequence(_ entry: Entry?) -> UInt64? {
                    guard let e = entry, e.key.count == filedPrefix.count + 8,
                          filedPrefix.withUnsafeBytes({ memcmp($0.baseAddress!, e.key.baseAddress!, filedPrefix.count) == 0 }) else { return nil }
                    let sequence = readBE64(e.key, at: filedPrefix.count)
                    return sequence <= filedEnd ? sequence : nil
                }
                var nextFiled = indexed >= from ? filedSequence(try filedProbe.withUnsafeBytes { try filed.seek(atOrAfter: $0) }) : nil
                var nextTail = 0
                var stopped = false
                // Emits the observations before `sequence`; one at `sequence` itself (which only a
                // damaged index could give) is passed over, so that no event comes twice.
                func emitObserved(before sequence: UInt64) throws -> Bool {
                    while true {
                        let o: UInt64
                        if let f = nextFiled { o = f } else if nextTail < tail.count { o = tail[nextTail] } else { return true }
                        if o > sequence { return true }
                        if nextFiled != nil { nextFiled = filedSequence(try filed.next()) } else { nextTail += 1 }
                        if o == sequence { continue }
                        guard let value = try txn.get(log, key: keys.sequenceKey(o)), let record = EventRecord(value) else { throw damaged(o) }
                        if try !body(record) { stopped = true; return false }
                    }
                }
                try visitIndex(byCustomer, in: txn, from: probe, prefix: prefix, range: range, keys: keys,
                               sequenceOf: { e in e.value.count == 8 ? readBE64(e.value) : nil }) { record in
                    guard try emitObserved(before: record.sequence) else { return false }
                    if try !body(record) { stopped = true }
                    return !stopped
                }
                if !stopped { _ = try emitObserved(before: .max) }
            }
        case .type(let name), .store(let name), .actor(let name):
            let db: Database
            switch query.index {
            case .type: db = byType
            case .store: db = byStore
            default: db = byActor
            }
            let probe = keys.nameKey(name, sequence: range.lowerBound)
            let prefixLength = probe.count - 8
            let prefix = [UInt8](UnsafeRawBufferPointer(rebasing: probe[0..<prefixLength]))
            try visitIndex(db, in: txn, from: probe, prefix: prefix, range: range, keys: keys, bounded: query.releasesMappedPages,
                           copying: query.copiesPages,
                           sequenceOf: { e in e.key.count == prefixLength + 8 ? readBE64(e.key, at: prefixLength) : nil }, lending: lent)
        case .occurred(let from, let until):
            guard from < until else { return }
            let upper = KeyBuffer.biased(until)
            try visitIndex(byTime, in: txn, from: keys.timeKey(from, sequence: 0), prefix: [], range: range, keys: keys,
                           bounded: query.releasesMappedPages, copying: query.copiesPages, sequenceOf: { e in
                               guard e.key.count == 16, readBE64(e.key) < upper else { return nil }
                               return readBE64(e.key, at: 8)
                           }, lending: lent)
        }
    }

    /// Walks index entries starting at `from` while they share `prefix`; `sequenceOf` reads the
    /// event an entry points to (nil ends the walk), and the event is fetched from the log.
    private func visitIndex(_ db: Database, in txn: borrowing Transaction, from: UnsafeRawBufferPointer, prefix: [UInt8],
                            range: ClosedRange<UInt64>, keys: borrowing KeyBuffer, bounded: Bool = false,
                            sequenceOf: (Entry) -> UInt64?, _ body: (EventRecord) throws -> Bool) throws {
        try visitIndex(db, in: txn, from: from, prefix: prefix, range: range, keys: keys, bounded: bounded, copying: false,
                       sequenceOf: sequenceOf, lending: { record, _ in try body(record) })
    }

    /// `visitIndex`, the events read through a `CopyingLookup` of the log when `copying` (each
    /// lent with its run), else through a cursor of their own: LMDB looks for a key on the
    /// cursor's page first, so events close in the log (an index's entries mostly are) cost no
    /// descent.
    private func visitIndex(_ db: Database, in txn: borrowing Transaction, from: UnsafeRawBufferPointer, prefix: [UInt8],
                            range: ClosedRange<UInt64>, keys: borrowing KeyBuffer, bounded: Bool, copying: Bool,
                            sequenceOf: (Entry) -> UInt64?, lending body: (EventRecord, CopiedPages?) throws -> Bool) throws {
        func missing(_ sequence: UInt64) -> LedgerError {
            .notALedger(path: path, reason: "index '\(db.name)' points to event \(sequence), which is missing or damaged; run `clientele verify`")
        }
        func walk(_ event: (UInt64) throws -> Bool) throws {
            try txn.withCursor(db) { (cursor: inout Cursor) throws in
                var entry = try cursor.seek(atOrAfter: from)
                var budget = MappedFileBudget()
                while let e = entry {
                    if bounded && budget.exceeded() { txn.releaseMappedPages(); budget.released() }
                    if !prefix.isEmpty {
                        guard e.key.count >= prefix.count,
                              prefix.withUnsafeBytes({ memcmp($0.baseAddress!, e.key.baseAddress!, prefix.count) == 0 }) else { break }
                    }
                    guard let sequence = sequenceOf(e) else { break }
                    if range.contains(sequence), try !event(sequence) { return }
                    entry = try cursor.next()
                }
            }
        }
        if copying {
            let copied: Void? = try txn.withCopyingLookup(log) { lookup in
                try walk { sequence in
                    guard let (found, run) = try lookup.find(keys.sequenceKey(sequence)), let record = EventRecord(found.value) else {
                        throw missing(sequence)
                    }
                    return try body(record, run)
                }
            }
            if copied != nil { return }
        }
        try txn.withCursor(log) { (events: inout Cursor) throws in
            try walk { sequence in
                guard let found = try events.seek(exactly: keys.sequenceKey(sequence)), let record = EventRecord(found.value) else {
                    throw missing(sequence)
                }
                return try body(record, nil)
            }
        }
    }

    /// The sequence number of the event appended under `source`, if any.
    public func sequence(of source: SourceReference) throws(LedgerError) -> UInt64? {
        try reading { txn, keys in
            try txn.get(self.bySource, key: keys.sourceKey(source)).map { readBE64($0) }
        }
    }

    /// The version of the customer's last event; 0 when the customer has none.
    public func streamVersion(of customer: String) throws(LedgerError) -> UInt32 {
        try reading { txn, keys in
            try txn.withCursor(self.byCustomer) { (cursor: inout Cursor) throws -> UInt32 in
                try self.currentVersion(of: customer, cursor: &cursor, keys: keys)
            }
        }
    }

    /// The last sequence number (0 for an empty log) and its chain hash.
    public func head() throws(LedgerError) -> (sequence: UInt64, hash: ChainHash) {
        try reading { txn, keys in try self.head(in: txn, keys: keys) }
    }
}

extension Ledger {
    /// The key under which `reference` stands in the by_source index (docs/log-format.md),
    /// for tools that read the index with LMDB's own utilities.
    public static func sourceIndexKey(_ reference: SourceReference) -> [UInt8] {
        let keys = KeyBuffer()
        return [UInt8](keys.sourceKey(reference))
    }
}
