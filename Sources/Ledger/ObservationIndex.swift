import LMDB
#if canImport(Glibc)
import Glibc
#endif

/// The keys of the ledger's `meta` database (docs/log-format.md).
enum MetaKey {
    /// The format tag (`Ledger.formatTag`).
    static let format = "format"
    /// The observation types, one per line: the type's name, a tab, and the first sequence number
    /// from which its events have no by_customer entry (decimal).
    static let observationTypes = "observation-types"
    /// by_observed holds every observation through this sequence number (BE u64).
    static let observationsIndexed = "observations-indexed"
}

/// An event type whose events record an observation of a customer (`LedgerOptions.observationTypes`),
/// as the ledger stores it.
struct ObservationType: Sendable {
    /// The type's name, as stored type bytes.
    let name: [UInt8]
    /// The first sequence number from which its events stay out of by_customer: 1 for a ledger
    /// created with the type; the head then + 1 for a type adopted later (an upgrade from
    /// format 2, or a ledger created without it).
    let from: UInt64
}

/// How many observations one transaction of `indexObservations` files. On a large ledger a batch
/// sorted by customer still dirties about one by_observed page per observation (~9 µs each at a
/// million customers: 3 million filed in 28 s in batches of 4,096), and the group-commit writer
/// waits for the transaction: 1,024 keeps that wait near 10 ms for the appends of a service
/// running beside the audit that files them.
let observationBatch = 1_024

extension Ledger {
    // MARK: meta

    static func metaString(_ key: String, in txn: borrowing Transaction, meta: Database) throws -> String? {
        try Array(key.utf8).withUnsafeBytes { k in try txn.get(meta, key: k).map { String(decoding: $0, as: UTF8.self) } }
    }

    static func metaNumber(_ key: String, in txn: borrowing Transaction, meta: Database) throws -> UInt64? {
        try Array(key.utf8).withUnsafeBytes { k in
            try txn.get(meta, key: k).flatMap { $0.count == 8 ? readBE64($0) : nil }
        }
    }

    static func putMeta(_ key: String, _ value: [UInt8], in txn: borrowing Transaction, meta: Database) throws {
        try Array(key.utf8).withUnsafeBytes { k in
            try value.withUnsafeBytes { v in try txn.put(meta, key: k, value: v) }
        }
    }

    static func putMeta(_ key: String, number: UInt64, in txn: borrowing Transaction, meta: Database) throws {
        var be = number.bigEndian
        try putMeta(key, withUnsafeBytes(of: &be) { [UInt8]($0) }, in: txn, meta: meta)
    }

    /// Adds the types of `wanted` that the ledger does not store yet, each from the next sequence
    /// number on (every event before it keeps the stream position it was given). Returns that
    /// sequence number. Types once stored stay: an open without them changes nothing.
    @discardableResult
    static func adoptObservationTypes(_ wanted: Set<String>, in txn: borrowing Transaction, log: Database, meta: Database) throws -> UInt64 {
        let head = try txn.withCursor(log) { (cursor: inout Cursor) throws -> UInt64 in
            guard let last = try cursor.last(), last.key.count == 8 else { return 0 }
            return readBE64(last.key)
        }
        var stored = try storedObservationTypes(in: txn, meta: meta)
        let known = Set(stored.map(\.name))
        let added = wanted.sorted().filter { !known.contains(Array($0.utf8)) }
        if !added.isEmpty {
            stored += added.map { ObservationType(name: Array($0.utf8), from: head + 1) }
            let text = stored.map { String(decoding: $0.name, as: UTF8.self) + "\t" + String($0.from) }.joined(separator: "\n")
            try putMeta(MetaKey.observationTypes, Array(text.utf8), in: txn, meta: meta)
        }
        if try metaNumber(MetaKey.observationsIndexed, in: txn, meta: meta) == nil {
            try putMeta(MetaKey.observationsIndexed, number: head, in: txn, meta: meta)
        }
        return head + 1
    }

    static func storedObservationTypes(in txn: borrowing Transaction, meta: Database) throws -> [ObservationType] {
        guard let text = try metaString(MetaKey.observationTypes, in: txn, meta: meta), !text.isEmpty else { return [] }
        return text.split(separator: "\n").compactMap { line in
            let parts = line.split(separator: "\t")
            guard parts.count == 2, let from = UInt64(parts[1]), from >= 1 else { return nil }
            return ObservationType(name: Array(parts[0].utf8), from: from)
        }
    }

    // MARK: writing

    /// The observation types stored in the ledger, as `txn` sees them. Read from each snapshot, not
    /// cached at open: another process's open may add a type while this one runs.
    func observationTypes(in txn: borrowing Transaction) throws -> [ObservationType] {
        try Ledger.storedObservationTypes(in: txn, meta: meta)
    }

    /// Is an event of this type an observation (kept out of by_customer when appended now)?
    @inline(__always)
    static func isObservation(_ type: String, in types: [ObservationType]) -> Bool {
        for t in types where type.utf8.elementsEqual(t.name) { return true }
        return false
    }

    /// Is an event of this type an observation, whatever its place in the log?
    @inline(__always)
    static func isObservation(bytes type: UnsafeRawBufferPointer, in types: [ObservationType]) -> Bool {
        for t in types where type.elementsEqual(t.name) { return true }
        return false
    }

    /// Is the event with this type and sequence number an observation without a by_customer entry?
    @inline(__always)
    static func isUnstreamedObservation(bytes type: UnsafeRawBufferPointer, sequence: UInt64, in types: [ObservationType]) -> Bool {
        for t in types where type.elementsEqual(t.name) { return sequence >= t.from }
        return false
    }

    /// by_observed holds every observation without a by_customer entry through this sequence
    /// number, in `txn`'s snapshot.
    func observationsIndexed(in txn: borrowing Transaction) throws -> UInt64 {
        try Ledger.metaNumber(MetaKey.observationsIndexed, in: txn, meta: meta) ?? 0
    }

    /// Files the observations appended since the last call in by_observed, a batch per write
    /// transaction, sorted by customer. Appends need no by_observed entry (the writer would
    /// otherwise touch one random page per access record); readers find the observations not
    /// filed yet by walking the observation types' by_type ranges, which grow with every
    /// observation appended, so the ledger files them when a customer's scan finds that tail long.
    /// Returns how many observations it filed; at most `batches` transactions (a background
    /// filer that must not hold the write lock for long says how many).
    @discardableResult
    public func indexObservations(batches: Int = .max) throws(LedgerError) -> Int {
        // Through the head as it is now: appends that keep coming are left for the next call.
        let head = try self.head().sequence
        var filed = 0
        for _ in 0..<max(0, batches) {
            let (count, more) = try writing { txn in try self.fileObservationBatch(in: txn, through: head) }
            filed += count
            if !more { break }
        }
        return filed
    }

    /// One batch of `indexObservations`: returns how many it filed and whether more are waiting.
    private func fileObservationBatch(in txn: borrowing Transaction, through end: UInt64) throws -> (Int, Bool) {
        let keys = KeyBuffer()
        let types = try observationTypes(in: txn)
        let indexed = try observationsIndexed(in: txn)
        guard !types.isEmpty, indexed < end else { return (0, false) }
        // A batch ends where it has `observationBatch` observations, whatever their types: each
        // type's walk stops there, and the next type's walk goes no further than the first stop.
        var through = end
        var found: [[UInt8]] = []
        for type in types {
            try visitObservations(type.name, after: max(indexed, type.from - 1), through: through, in: txn, keys: keys) { sequence, customer in
                if found.count >= observationBatch { through = sequence - 1; return false }
                // The by_type walk is done with the buffer once it has the event: it can build the key.
                found.append([UInt8](keys.nameKey(customer, sequence: sequence)))
                return true
            }
        }
        // Observations of an earlier type past where a later type's walk stopped wait for the next batch.
        found.removeAll { key in key.withUnsafeBytes { readBE64($0, at: $0.count - 8) } > through }
        found.sort { $0.lexicographicallyPrecedes($1) }
        let empty = UnsafeRawBufferPointer(start: nil, count: 0)
        try txn.withCursor(byObserved) { (cursor: inout Cursor) throws in
            for key in found {
                try key.withUnsafeBytes { k in try cursor.put(key: k, value: empty) }
            }
        }
        try Ledger.putMeta(MetaKey.observationsIndexed, number: through, in: txn, meta: meta)
        return (found.count, through < end)
    }

    /// Calls `body(sequence, customer bytes)` for each event of observation type `type` with a
    /// sequence number in `(after, through]`, in sequence order, until it returns false.
    func visitObservations(_ type: [UInt8], after: UInt64, through: UInt64, in txn: borrowing Transaction,
                           keys: borrowing KeyBuffer, _ body: (UInt64, UnsafeRawBufferPointer) throws -> Bool) throws {
        guard after < through else { return }
        let probe = type.withUnsafeBytes { keys.nameKey($0, sequence: after + 1) }
        let prefixLength = probe.count - 8
        let prefix = [UInt8](UnsafeRawBufferPointer(rebasing: probe[0..<prefixLength]))
        let log = self.log
        try txn.withCursor(byType) { (cursor: inout Cursor) throws in
            var entry = try cursor.seek(atOrAfter: probe)
            while let e = entry, e.key.count == prefixLength + 8,
                  prefix.withUnsafeBytes({ memcmp($0.baseAddress!, e.key.baseAddress!, prefixLength) == 0 }) {
                let sequence = readBE64(e.key, at: prefixLength)
                if sequence > through { break }
                guard let value = try txn.get(log, key: keys.sequenceKey(sequence)), let record = EventRecord(value) else {
                    throw LedgerError.notALedger(path: path, reason: "index 'by_type' points to event \(sequence), which is missing or damaged; run `clientele verify`")
                }
                if try !body(sequence, record.customerBytes) { return }
                entry = try cursor.next()
            }
        }
    }

    // MARK: reading

    /// The sequence numbers of `customer`'s observations that by_observed does not hold yet, in
    /// `(after, through]`, in order (read from the observation types' by_type ranges).
    func unfiledObservations(of customer: String, types: [ObservationType], after: UInt64, through: UInt64,
                             in txn: borrowing Transaction, keys: borrowing KeyBuffer) throws -> [UInt64] {
        var tail: [UInt64] = []
        var name = customer
        try name.withUTF8 { id in
            let id = UnsafeRawBufferPointer(id)
            for type in types {
                try visitObservations(type.name, after: max(after, type.from - 1), through: through, in: txn, keys: keys) { sequence, who in
                    if who.elementsEqual(id) { tail.append(sequence) }
                    return true
                }
            }
        }
        if types.count > 1 { tail.sort() }
        return tail
    }

    /// How many sequence numbers lie past what by_observed covers, in `txn`'s snapshot: a bound
    /// on the observations a customer's scan would have to find by walking by_type (0 when the
    /// ledger has no observation types).
    func unfiledObservationSpan(in txn: borrowing Transaction, keys: borrowing KeyBuffer) throws -> UInt64 {
        guard try !observationTypes(in: txn).isEmpty else { return 0 }
        let indexed = try observationsIndexed(in: txn)
        let (head, _) = try self.head(in: txn, keys: keys)
        return head > indexed ? head - indexed : 0
    }
}
