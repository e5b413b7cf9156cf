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
final class StoreDayFolding: ModelFold {
    typealias P = DailySummaryProjector

    /// One store's bytes on one day: their FNV-1a hash, where they are in `arena`, and the record.
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
    /// Open addressing, a power of two entries, at most half full (`record` -1: empty).
    var table: [Entry]
    var mask: Int
    /// Entries in `table`.
    var used = 0
    /// The store bytes of the table's entries.
    var arena: [UInt8] = []
    /// Each record's key (the store as the first event of its day gave it) and the record.
    var byKey: [P.StoreDay: Int32] = [:]
    var keys: [P.StoreDay] = []
    var records: [DailySummary] = []

    init(_ projector: P) {
        self.projector = projector
        output = Folding(projector)
        table = Array(repeating: Entry(hash: 0, day: 0, start: 0, count: 0, record: -1), count: 1024)
        mask = 1023
        super.init(kinds: projector.eventKinds)
    }

    override func accept(_ event: borrowing FoldEvent) {
        guard event.sequence >= from else { return }
        let store = event.record.storeBytes
        let day = P.localDay(event.occurredAt)
        let hash = EventKind.fnv1a(store)
        var i = Self.position(hash: hash, day: day, mask: mask)
        while true {
            let e = table[i]
            if e.record < 0 { break }
            if e.hash == hash, e.day == day, Int(e.count) == store.count, sameStore(e, store) {
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
            r = Int32(records.count)
            byKey[key] = r
            keys.append(key)
            records.append(projector.initial(key: key))
        }
        table[i] = Entry(hash: hash, day: day, start: Int32(arena.count), count: Int32(store.count), record: r)
        arena.append(contentsOf: store)
        used += 1
        if used * 2 > table.count { grow() }
        projector.apply(&records[Int(r)], event)
    }

    override func accept(_ event: borrowing FoldEvent, slot: Int32) { accept(event) }

    @inline(__always)
    static func position(hash: UInt64, day: Int64, mask: Int) -> Int {
        Int(truncatingIfNeeded: ((hash ^ UInt64(bitPattern: day)) &* 0x9E37_79B9_7F4A_7C15) >> 17) & mask
    }

    @inline(__always)
    func sameStore(_ e: Entry, _ bytes: UnsafeRawBufferPointer) -> Bool {
        e.count == 0 || arena.withUnsafeBytes { a in sameBytes(a.baseAddress! + Int(e.start), bytes.baseAddress!, count: Int(e.count)) }
    }

    private func grow() {
        let capacity = table.count * 2
        var grown = Array(repeating: Entry(hash: 0, day: 0, start: 0, count: 0, record: -1), count: capacity)
        for e in table where e.record >= 0 {
            var i = Self.position(hash: e.hash, day: e.day, mask: capacity - 1)
            while grown[i].record >= 0 { i = (i + 1) & (capacity - 1) }
            grown[i] = e
        }
        table = grown
        mask = capacity - 1
    }

    override var count: Int { output.count }

    override func sortForAppend() {
        output.records.reserveCapacity(records.count)
        for (k, r) in zip(keys, records) { output.records[k] = r }
        keys = []
        records = []
        byKey = [:]
        table = []
        arena = []
        output.sortForAppend()
    }

    override func write(db: Database, txn: borrowing Transaction, append: Bool, range: Range<Int>) throws {
        try output.write(db: db, txn: txn, append: append, range: range)
    }

    override func release() {
        keys = []
        records = []
        byKey = [:]
        table = []
        arena = []
        output.release()
    }
}
