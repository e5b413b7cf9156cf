import CustomerEvents
import LMDB
import Ledger

/// A rebuild's fold of the daily summary: each event's store-day found through a small table of
/// its own, keyed by the store's bytes as stored and the local day, instead of a dictionary keyed
/// by `StoreDay` (a `String` made from the store's bytes and hashed with SipHash for every
/// event). Only the first event of each store's bytes on each day goes through such a dictionary
/// (`byKey`), so that store names that are equal as `String`s but stored in other bytes still
/// share their record, as they do in `Folding`. The records are then handed to a `Folding`, which
/// sorts and writes them as it writes any keyed model: the stored bytes are the same.
///
/// The table, the store bytes and the records are buffers of our own (as in `DenseFolding`):
/// a class's array properties would cost an exclusivity check per access, three per event.
final class StoreDayFolding: ModelFold {
    typealias P = DailySummaryProjector

    /// One store's bytes on one day: their hash (`ByteHash`), where they are in `arena`, and the record.
    struct Entry {
        var hash: UInt64
        var day: Int64
        var start: Int32
        var count: Int32
        var record: Int32
    }

    let projector: P
    /// Sorts and writes the records once folded.
    let output: Folding<P>
    /// Open addressing, `mask + 1` (a power of two) entries, at most half full (`record` -1: empty).
    var table: UnsafeMutablePointer<Entry>
    var mask = 1023
    /// Entries in `table`.
    var used = 0
    /// The store bytes of the table's entries.
    var arena = ByteArena(capacity: 4096)
    /// Each record's key (the store as the first event of its day gave it) and its record.
    var byKey: [P.StoreDay: Int32] = [:]
    var keys: [P.StoreDay] = []
    var records: UnsafeMutablePointer<DailySummary>
    var recordCount = 0
    var recordCapacity = 1024

    init(_ projector: P) {
        self.projector = projector
        output = Folding(projector)
        table = .allocate(capacity: mask + 1)
        table.initialize(repeating: Entry(hash: 0, day: 0, start: 0, count: 0, record: -1), count: mask + 1)
        records = .allocate(capacity: recordCapacity)
        super.init(kinds: projector.eventKinds)
    }

    deinit { deallocateBuffers() }

    private func deallocateBuffers() {
        table.deallocate()
        records.deinitialize(count: recordCount)
        records.deallocate()
    }

    override func accept(_ event: borrowing FoldEvent) {
        guard event.sequence >= from else { return }
        let store = event.record.storeBytes
        let day = P.localDay(event.occurredAt)
        let hash = ByteHash.hash(store)
        var i = Self.position(hash: hash, day: day, mask: mask)
        while table[i].record >= 0 {
            let e = table[i]
            if e.hash == hash, e.day == day, Int(e.count) == store.count,
               e.count == 0 || sameBytes(arena.base + Int(e.start), store.baseAddress!, count: Int(e.count)) {
                projector.apply(&records[Int(e.record)], event)
                return
            }
            i = (i + 1) & mask
        }
        // These bytes on this day for the first time: the record of their StoreDay (a new one
        // unless the same store, as a String, came in other bytes that day).
        let key = P.StoreDay(store: event.store, day: day)
        let r: Int32
        if let known = byKey[key] {
            r = known
        } else {
            r = Int32(recordCount)
            byKey[key] = r
            keys.append(key)
            if recordCount == recordCapacity { records = doubled(records, count: recordCount, capacity: &recordCapacity) }
            (records + recordCount).initialize(to: projector.initial(key: key))
            recordCount += 1
        }
        let start = arena.append(store)
        table[i] = Entry(hash: hash, day: day, start: Int32(start), count: Int32(store.count), record: r)
        used += 1
        if used * 2 > mask + 1 { grow() }
        projector.apply(&records[Int(r)], event)
    }

    override func accept(at event: UnsafePointer<FoldEvent>, slot: Int32) { accept(event.pointee) }

    @inline(__always)
    static func position(hash: UInt64, day: Int64, mask: Int) -> Int {
        Int(truncatingIfNeeded: ((hash ^ UInt64(bitPattern: day)) &* 0x9E37_79B9_7F4A_7C15) >> 17) & mask
    }

    private func grow() {
        let capacity = (mask + 1) * 2
        let grown = UnsafeMutablePointer<Entry>.allocate(capacity: capacity)
        grown.initialize(repeating: Entry(hash: 0, day: 0, start: 0, count: 0, record: -1), count: capacity)
        for j in 0...mask where table[j].record >= 0 {
            let e = table[j]
            var i = Self.position(hash: e.hash, day: e.day, mask: capacity - 1)
            while grown[i].record >= 0 { i = (i + 1) & (capacity - 1) }
            grown[i] = e
        }
        table.deallocate()
        table = grown
        mask = capacity - 1
    }

    override var count: Int { output.count }

    override func sortForAppend() {
        output.records.reserveCapacity(recordCount)
        for r in 0..<recordCount { output.records[keys[r]] = records[r] }
        reset()
        output.sortForAppend()
    }

    override func writeTouched(db: Database, txn: borrowing Transaction) throws {
        try output.writeTouched(db: db, txn: txn)
    }

    override func encode(range: Range<Int>, into batch: inout EncodedRecords) {
        output.encode(range: range, into: &batch)
    }

    override func release() {
        reset()
        output.release()
    }

    /// Frees the fold's own table and records (once handed to `output`, or written).
    private func reset() {
        deallocateBuffers()
        byKey = [:]
        keys = []
        mask = 0
        used = 0
        table = .allocate(capacity: 1)
        table.initialize(to: Entry(hash: 0, day: 0, start: 0, count: 0, record: -1))
        arena.reset(capacity: 8)
        recordCount = 0
        recordCapacity = 1
        records = .allocate(capacity: recordCapacity)
    }
}
