import CustomerEvents
import LMDB
import Ledger
import LedgerJSON

extension ProjectionStore {
    /// Brings `projector`'s stored model up to the head of the log (on demand), rebuilding it
    /// first when it was never built or was built by another projector version.
    /// - Returns: the last sequence number folded in.
    ///
    /// Safe to call from many threads at once: one catch-up runs at a time (two folding the same
    /// range would count its events twice); a model already at the head is answered without waiting.
    @discardableResult
    public func catchUp<P: KeyedProjector>(_ projector: P) throws -> UInt64 {
        let head = try ledger.ledger.head().sequence
        if let c = try checkpoint(P.name), c.version == P.version, c.sequence >= head { return c.sequence }
        return try catchUpLock.withLock { _ throws -> UInt64 in try catchUpAlone(projector, head: head) }
    }

    private func catchUpAlone<P: KeyedProjector>(_ projector: P, head: UInt64) throws -> UInt64 {
        guard let c = try checkpoint(P.name), c.version == P.version else {
            return try rebuild(projector)
        }
        if c.sequence >= head { return c.sequence }
        let db = try database(P.name, slot: c.slot)
        try fold(projector, into: db, from: c.sequence + 1, through: head) { last, txn in
            try self.writeCheckpoint(P.name, Checkpoint(slot: c.slot, version: P.version, sequence: last), in: txn)
        }
        try environment.sync()
        return head
    }

    /// Rebuilds `projector`'s model from the whole log into the idle slot, then makes it live.
    ///
    /// The fold runs in memory over one snapshot of the log; the records are then written to the
    /// idle slot (in batches) and the checkpoint flipped to it, so readers see the old model until
    /// the new one is whole.
    @discardableResult
    public func rebuild<P: KeyedProjector>(_ projector: P) throws -> UInt64 {
        let current = try checkpoint(P.name)
        let slot = current?.slot == "a" ? "b" : "a"
        let db = try database(P.name, slot: slot)
        var records: [String: P.Record] = [:]
        let head = try ledger.ledger.head().sequence
        try ledger.scanForFold(.all(through: max(1, head)), types: projector.eventTypeBytes) { event in
            for key in projector.keys(for: event) {
                projector.apply(&records[key, default: projector.initial(key: key)], event)
            }
            return true
        }
        try environment.write { (txn: borrowing Transaction) throws in try txn.clear(db) }
        let keys = records.keys.sorted()
        var i = 0
        repeat {
            let end = min(keys.count, i + batch)
            try environment.write { (txn: borrowing Transaction) throws in
                for key in keys[i..<end] {
                    var w = JSONWriter()
                    w.write(records[key]!.json)
                    // Sorted keys: each put lands at the end of the tree.
                    try Array(key.utf8).withUnsafeBytes { k in try w.bytes.withUnsafeBytes { v in try txn.put(db, key: k, value: v, flags: .append) } }
                }
                if end == keys.count {
                    try self.writeCheckpoint(P.name, Checkpoint(slot: slot, version: P.version, sequence: head), in: txn)
                }
            }
            i = end
        } while i < keys.count
        try environment.sync()
        return head
    }

    /// Folds events `from...through` into `db`, a batch per transaction: records touched in a batch
    /// are read once, folded in memory, and written back with `checkpoint` in the same transaction.
    private func fold<P: KeyedProjector>(_ projector: P, into db: Database, from: UInt64, through: UInt64,
                                         checkpoint: (UInt64, borrowing Transaction) throws -> Void) throws {
        guard from <= through else { return }
        var start = from
        while start <= through {
            let end = min(through, start + UInt64(batch) - 1)
            var touched: [String: P.Record] = [:]
            var order: [String] = []
            var pending: [(String, CatalogEvent)] = []
            try ledger.scanForFold(.all(from: start, through: end), types: projector.eventTypeBytes) { event in
                for key in projector.keys(for: event) { pending.append((key, event)) }
                return true
            }
            try environment.write { (txn: borrowing Transaction) throws in
                for (key, event) in pending {
                    if touched[key] == nil {
                        order.append(key)
                        touched[key] = try Self.load(P.self, key: key, db: db, txn: txn) ?? projector.initial(key: key)
                    }
                    projector.apply(&touched[key]!, event)
                }
                for key in order {
                    var w = JSONWriter()
                    w.write(touched[key]!.json)
                    try Array(key.utf8).withUnsafeBytes { k in try w.bytes.withUnsafeBytes { v in try txn.put(db, key: k, value: v) } }
                }
                try checkpoint(end, txn)
            }
            start = end + 1
        }
    }

    static func load<R: ProjectionRecord>(_ type: (some KeyedProjector).Type, key: String, db: Database, txn: borrowing Transaction) throws -> R? {
        try Array(key.utf8).withUnsafeBytes { k -> R? in
            guard let v = try txn.get(db, key: k) else { return nil }
            guard let json = try? JSONParser.parse(UnsafeBufferPointer(start: v.baseAddress!.assumingMemoryBound(to: UInt8.self), count: v.count)),
                  let record = R(json: json) else { throw ProjectionError.damaged(model: String(describing: type), key: key) }
            return record
        }
    }

    /// One record of the live model, after catching it up.
    public func record<P: KeyedProjector>(_ projector: P, key: String) throws -> P.Record? {
        try catchUp(projector)
        return try storedRecord(projector, key: key)
    }

    /// One record of the model as stored, without catching up first (see `checkpointSequence`).
    public func storedRecord<P: KeyedProjector>(_ projector: P, key: String) throws -> P.Record? {
        guard let c = try checkpoint(P.name) else { return nil }
        let db = try database(P.name, slot: c.slot)
        return try environment.read { (txn: borrowing Transaction) throws -> P.Record? in
            try Array(key.utf8).withUnsafeBytes { k -> P.Record? in
                guard let v = try txn.get(db, key: k) else { return nil }
                guard let json = try? JSONParser.parse(UnsafeBufferPointer(start: v.baseAddress!.assumingMemoryBound(to: UInt8.self), count: v.count)) else {
                    throw ProjectionError.damaged(model: P.name, key: key)
                }
                return P.Record(json: json)
            }
        }
    }

    /// The last sequence number folded into `projector`'s stored model; nil when it was never built
    /// (or was built by another projector version).
    public func checkpointSequence<P: KeyedProjector>(_ projector: P) throws -> UInt64? {
        guard let c = try checkpoint(P.name), c.version == P.version else { return nil }
        return c.sequence
    }

    /// Every record of the live model, after catching it up; `body` returns false to stop.
    public func records<P: KeyedProjector>(_ projector: P, _ body: (String, P.Record) throws -> Bool) throws {
        try catchUp(projector)
        try storedRecords(projector, body)
    }

    /// Every record of the model as stored, without catching up first; `body` returns false to stop.
    public func storedRecords<P: KeyedProjector>(_ projector: P, _ body: (String, P.Record) throws -> Bool) throws {
        guard let c = try checkpoint(P.name) else { return }
        let db = try database(P.name, slot: c.slot)
        try environment.read { (txn: borrowing Transaction) throws in
            try txn.withCursor(db) { (cursor: inout Cursor) throws in
                var entry = try cursor.first()
                while let e = entry {
                    let key = String(decoding: e.key, as: UTF8.self)
                    guard let json = try? JSONParser.parse(UnsafeBufferPointer(start: e.value.baseAddress!.assumingMemoryBound(to: UInt8.self), count: e.value.count)),
                          let record = P.Record(json: json) else { throw ProjectionError.damaged(model: P.name, key: key) }
                    if try !body(key, record) { return }
                    entry = try cursor.next()
                }
            }
        }
    }

    /// Every record of `projector`'s model — live, or folded as of `point` — and the moment it
    /// describes (now, the given time, or when the given event was recorded).
    public func snapshot<P: KeyedProjector>(_ projector: P, asOf point: AsOf?) throws -> (records: [(String, P.Record)], now: Timestamp) {
        guard let point else {
            var out: [(String, P.Record)] = []
            try records(projector) { k, r in out.append((k, r)); return true }
            return (out, Timestamp.now())
        }
        let folded = try fold(projector, asOf: point).map { ($0.key, $0.value) }
        switch point {
        case .time(let t): return (folded, t)
        case .sequence(let n): return (folded, try ledger.ledger.event(n)?.recordedAt ?? Timestamp.now())
        }
    }
}

/// A point in the past: what the ledger knew at a sequence number (recorded order), or what the
/// world looked like at a time (business time: events that occurred by then).
public enum AsOf: Sendable, Equatable {
    case sequence(UInt64)
    case time(Timestamp)

    /// Reads `2026-03-31T23:59:59+08:00` as a time and `12345` as a sequence number.
    public init?(_ text: String) {
        if let n = UInt64(text) { self = .sequence(n) } else if let t = Timestamp(iso8601: text) { self = .time(t) } else { return nil }
    }
}

extension ProjectionStore {
    /// The model as of a past point, folded in memory from the log; stored state is not touched.
    public func fold<P: KeyedProjector>(_ projector: P, asOf point: AsOf) throws -> [String: P.Record] {
        var records: [String: P.Record] = [:]
        let query: EventQuery
        switch point {
        case .sequence(0): return [:]
        case .sequence(let n): query = .all(from: 1, through: n)
        // Business time: the events that occurred by then, in the order they occurred.
        case .time(let t): query = .occurred(from: Timestamp(microseconds: .min / 2), until: Timestamp(microseconds: t.microseconds + 1))
        }
        try ledger.scanForFold(query, types: projector.eventTypeBytes) { event in
            for key in projector.keys(for: event) {
                projector.apply(&records[key, default: projector.initial(key: key)], event)
            }
            return true
        }
        return records
    }
}
