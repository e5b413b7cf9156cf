import CustomerEvents
import LMDB
import Ledger
import LedgerJSON
#if canImport(Glibc)
import Glibc
#endif

/// One model's fold in progress: its records in memory by key. Type-erased so that one scan of
/// the log can feed every model (`ProjectionStore.rebuild(_:)`), each event told apart once.
class ModelFold {
    let kinds: EventKind.Set
    /// Events before this sequence number are already in the model (its checkpoint + 1).
    var from: UInt64 = 1
    init(kinds: EventKind.Set) { self.kinds = kinds }
    func accept(_ event: borrowing FoldEvent) {}
    /// Notes the key an event touches, to load its stored record before folding (catch-up).
    func note(_ event: borrowing FoldEvent) {}
    func loadNoted(db: Database, txn: borrowing Transaction) throws {}
    func write(db: Database, txn: borrowing Transaction, append: Bool, range: Range<Int>) throws {}
    var count: Int { 0 }
    func sortForAppend() {}
}

/// The stored models' folds are pre-specialized (`@_specialize`): a fold reached through
/// `ModelFold`'s vtable would otherwise run generic code, copying records through value
/// witnesses, several times slower.
final class Folding<P: KeyedProjector>: ModelFold {
    let projector: P
    var records: [P.Key: P.Record] = [:]
    var noted: Set<P.Key> = []
    /// Records with their storage keys (in one byte arena), and their order by key, for writing
    /// with MDB_APPEND: indices are sorted, records are never moved.
    var list: [P.Record] = []
    var arena: [UInt8] = []
    var spans: [(start: Int32, count: Int32)] = []
    var order: [Int32] = []

    init(_ projector: P) {
        self.projector = projector
        super.init(kinds: projector.eventKinds)
    }

    @_specialize(where P == CustomerSummaryProjector)
    @_specialize(where P == ComplaintStatusProjector)
    @_specialize(where P == DailySummaryProjector)
    @_specialize(where P == LoyaltyProjector)
    override func accept(_ event: borrowing FoldEvent) {
        guard event.sequence >= from, let key = projector.key(for: event) else { return }
        projector.apply(&records[key, default: projector.initial(key: key)], event)
    }

    @_specialize(where P == CustomerSummaryProjector)
    @_specialize(where P == ComplaintStatusProjector)
    @_specialize(where P == DailySummaryProjector)
    @_specialize(where P == LoyaltyProjector)
    override func note(_ event: borrowing FoldEvent) {
        guard event.sequence >= from, let key = projector.key(for: event) else { return }
        noted.insert(key)
    }

    @_specialize(where P == CustomerSummaryProjector)
    @_specialize(where P == ComplaintStatusProjector)
    @_specialize(where P == DailySummaryProjector)
    @_specialize(where P == LoyaltyProjector)
    override func loadNoted(db: Database, txn: borrowing Transaction) throws {
        for key in noted where records[key] == nil {
            if let r = try ProjectionStore.load(P.self, key: projector.storageKey(key), db: db, txn: txn) { records[key] = r }
        }
        noted.removeAll()
    }

    override var count: Int { order.count }

    @_specialize(where P == CustomerSummaryProjector)
    @_specialize(where P == ComplaintStatusProjector)
    @_specialize(where P == DailySummaryProjector)
    @_specialize(where P == LoyaltyProjector)
    override func sortForAppend() {
        list.reserveCapacity(records.count)
        spans.reserveCapacity(records.count)
        for (k, v) in records {
            var key = projector.storageKey(k)
            key.withUTF8 { u in
                spans.append((Int32(arena.count), Int32(u.count)))
                arena.append(contentsOf: u)
            }
            list.append(v)
        }
        records = [:]
        order = Array(0..<Int32(list.count))
        arena.withUnsafeBytes { a in
            let base = a.baseAddress!
            spans.withUnsafeBufferPointer { sp in
                order.sort { i, j in
                    let x = sp[Int(i)], y = sp[Int(j)]
                    let n = Int(min(x.count, y.count))
                    let c = n == 0 ? 0 : memcmp(base + Int(x.start), base + Int(y.start), n)
                    return c != 0 ? c < 0 : x.count < y.count
                }
            }
        }
    }

    @_specialize(where P == CustomerSummaryProjector)
    @_specialize(where P == ComplaintStatusProjector)
    @_specialize(where P == DailySummaryProjector)
    @_specialize(where P == LoyaltyProjector)
    override func write(db: Database, txn: borrowing Transaction, append: Bool, range: Range<Int>) throws {
        var w = RecordWriter()
        if append {
            try arena.withUnsafeBytes { a in try list.withUnsafeBufferPointer { records in
                for i in range {
                    let r = Int(order[i])
                    w.reset()
                    records[r].encode(to: &w) // borrowed in place: no copy of the record's arrays
                    let k = UnsafeRawBufferPointer(rebasing: a[Int(spans[r].start)..<Int(spans[r].start + spans[r].count)])
                    try w.bytes.withUnsafeBytes { v in try txn.put(db, key: k, value: v, flags: .append) }
                }
            } }
        } else {
            for (key, record) in records {
                w.reset()
                record.encode(to: &w)
                try Array(projector.storageKey(key).utf8).withUnsafeBytes { k in try w.bytes.withUnsafeBytes { v in try txn.put(db, key: k, value: v) } }
            }
            records.removeAll(keepingCapacity: true)
        }
    }
}

extension ProjectionStore {
    /// Brings `projector`'s stored model up to the head of the log (on demand), rebuilding it
    /// first when it was never built or was built by another projector version or parameters.
    /// - Returns: the last sequence number folded in.
    ///
    /// Safe to call from many threads at once: one catch-up runs at a time (two folding the same
    /// range would count its events twice); a model already at the head is answered without waiting.
    @discardableResult
    public func catchUp<P: KeyedProjector>(_ projector: P) throws -> UInt64 {
        let head = try ledger.ledger.head().sequence
        if let c = try checkpoint(P.name), c.version == P.version, c.parameters == projector.parameters, c.sequence >= head { return c.sequence }
        return try catchUp([projector])
    }

    /// Brings every model in `projectors` up to the head of the log, in one pass over the new
    /// events: records they touch are loaded, folded in memory and written back with every
    /// checkpoint in one transaction per batch. Models that need a rebuild are rebuilt together.
    /// - Returns: the last sequence number folded in.
    @discardableResult
    public func catchUp(_ projectors: [any KeyedProjector]) throws -> UInt64 {
        try catchUpLock.withLock { _ throws -> UInt64 in try catchUpAlone(projectors) }
    }

    private func catchUpAlone(_ projectors: [any KeyedProjector]) throws -> UInt64 {
        let head = try ledger.ledger.head().sequence
        var stale: [any KeyedProjector] = []
        var live: [(fold: ModelFold, name: String, checkpoint: Checkpoint, db: Database)] = []
        for p in projectors {
            let name = type(of: p).name
            guard let c = try checkpoint(name), c.version == type(of: p).version, c.parameters == p.parameters else {
                stale.append(p)
                continue
            }
            if c.sequence >= head { continue }
            let fold = Self.makeFold(p)
            fold.from = c.sequence + 1
            live.append((fold, name, c, try database(name, slot: c.slot)))
        }
        if !stale.isEmpty { try rebuild(stale) }
        guard let start = live.map(\.fold.from).min(), start <= head else { return head }
        let kinds = live.reduce(EventKind.Set([])) { $0.union($1.fold.kinds) }
        var reader = FoldEventReader(catalog: ledger.catalog)
        var batchStart = start
        while batchStart <= head {
            let end = min(head, batchStart + UInt64(batch) - 1)
            let query = EventQuery.all(from: batchStart, through: end)
            // Pass 1: which records the batch touches; load them; pass 2: fold.
            try ledger.ledger.scanRecords(query) { record in
                reader.visit(record, kinds: kinds) { e in for m in live where m.fold.kinds.contains(e.kind) { m.fold.note(e) } }
                return true
            }
            try environment.read { (txn: borrowing Transaction) throws in
                for m in live { try m.fold.loadNoted(db: m.db, txn: txn) }
            }
            try ledger.ledger.scanRecords(query) { record in
                reader.visit(record, kinds: kinds) { e in for m in live where m.fold.kinds.contains(e.kind) { m.fold.accept(e) } }
                return true
            }
            try environment.write { (txn: borrowing Transaction) throws in
                for m in live {
                    try m.fold.write(db: m.db, txn: txn, append: false, range: 0..<0)
                    var c = m.checkpoint
                    c.sequence = end
                    try self.writeCheckpoint(m.name, c, in: txn)
                }
            }
            batchStart = end + 1
        }
        try environment.sync()
        return head
    }

    static func makeFold<P: KeyedProjector>(_ p: P) -> ModelFold { Folding(p) }

    /// Rebuilds `projector`'s model from the whole log into the idle slot, then makes it live.
    @discardableResult
    public func rebuild<P: KeyedProjector>(_ projector: P) throws -> UInt64 {
        try rebuild([projector])
    }

    /// Rebuilds every model in `projectors` from the whole log in ONE scan, each into its idle
    /// slot, then makes each live.
    ///
    /// The fold runs in memory over one snapshot of the log, every event's type told apart once
    /// and its payload read in place; the records are then written to the idle slots in key order
    /// (in batches) and each checkpoint flipped in the same transaction as its last records, so
    /// readers see the old model until the new one is whole.
    /// - Complexity: one pass over the log; memory: every record of every model.
    @discardableResult
    public func rebuild(_ projectors: [any KeyedProjector]) throws -> UInt64 {
        let head = try ledger.ledger.head().sequence
        var models: [(fold: ModelFold, name: String, checkpoint: Checkpoint, db: Database)] = []
        for p in projectors {
            let name = type(of: p).name
            let slot = try checkpoint(name)?.slot == "a" ? "b" : "a"
            models.append((Self.makeFold(p), name, Checkpoint(slot: slot, version: type(of: p).version, sequence: head, parameters: p.parameters),
                           try database(name, slot: slot)))
        }
        let folds = models.map(\.fold)
        let kinds = folds.reduce(EventKind.Set([])) { $0.union($1.kinds) }
        var reader = FoldEventReader(catalog: ledger.catalog)
        if head > 0 {
            try ledger.ledger.scanRecords(.all(through: head)) { record in
                reader.visit(record, kinds: kinds) { e in
                    for f in folds where f.kinds.contains(e.kind) { f.accept(e) }
                }
                return true
            }
        }
        for m in models {
            m.fold.sortForAppend()
            try environment.write { (txn: borrowing Transaction) throws in try txn.clear(m.db) }
            var i = 0
            repeat {
                let end = min(m.fold.count, i + batch)
                try environment.write { (txn: borrowing Transaction) throws in
                    // Sorted keys: each put lands at the end of the tree.
                    try m.fold.write(db: m.db, txn: txn, append: true, range: i..<end)
                    if end == m.fold.count { try self.writeCheckpoint(m.name, m.checkpoint, in: txn) }
                }
                i = end
            } while i < m.fold.count
        }
        try environment.sync()
        return head
    }

    static func decode<R: ProjectionRecord>(_ bytes: UnsafeRawBufferPointer, as: R.Type) -> R? {
        var reader = RecordReader(bytes)
        guard let r = R(stored: &reader), reader.isComplete else { return nil }
        return r
    }

    static func load<P: KeyedProjector>(_ type: P.Type, key: String, db: Database, txn: borrowing Transaction) throws -> P.Record? {
        try Array(key.utf8).withUnsafeBytes { k -> P.Record? in
            guard let v = try txn.get(db, key: k) else { return nil }
            guard let record = decode(v, as: P.Record.self) else { throw ProjectionError.damaged(model: P.name, key: key) }
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
            try Self.load(P.self, key: key, db: db, txn: txn)
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
                    guard let record = Self.decode(e.value, as: P.Record.self) else { throw ProjectionError.damaged(model: P.name, key: key) }
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
        try InMemoryFold.fold(projector, ledger: ledger, asOf: point)
    }
}

extension KeyedProjector {
    /// Folds `events` (in the order given) into `record`: one key's model apart from the store,
    /// e.g. one customer as of a past point.
    public func fold(_ events: [RecordedEvent], into record: inout Record, catalog: SchemaCatalog = .builtIn) {
        var reader = FoldEventReader(catalog: catalog)
        for e in events {
            e.withRecord { r in reader.visit(r, kinds: eventKinds) { apply(&record, $0) } }
        }
    }
}

