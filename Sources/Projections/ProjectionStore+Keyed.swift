import CustomerEvents
import LMDB
import Ledger
import LedgerJSON
import Dispatch
import CMemoryHints
#if canImport(Glibc)
import Glibc
#endif

/// One model's fold in progress: its records in memory by key. Type-erased so that one scan of
/// the log can feed every model (`ProjectionStore.rebuild(_:)`), each event told apart once.
class ModelFold {
    let kinds: EventKind.Set
    /// Events before this sequence number are already in the model (its checkpoint + 1).
    var from: UInt64 = 1
    /// The fold's rough cost per event relative to the others, to share models between threads.
    var weight = 2
    /// True when the fold keeps its records by customer slot (`CustomerSlots`).
    var bySlot: Bool { false }
    init(kinds: EventKind.Set) { self.kinds = kinds }
    func accept(_ event: borrowing FoldEvent) {}
    /// Folds the event at `event` (in a batch) whose customer is interned in `slot` (-1 when no
    /// slotted fold reads it). Given where the event lies rather than the event: a call through
    /// the vtable with the event itself copied its 168 bytes onto the stack first, for every
    /// fold and event.
    func accept(at event: UnsafePointer<FoldEvent>, slot: Int32) { accept(event.pointee) }
    /// Makes the fold find customers in `slots`, shared with the other folds of the rebuild.
    func share(_ slots: CustomerSlots) {}
    /// Starts loading what folding an event of `kind` of the customer in `slot` will touch, a few
    /// events ahead: `stage` 0 the record, 1 the parts of it that `kind` touches (which reads what
    /// stage 0 loaded).
    func prefetch(slot: Int32, stage: Int, kind: EventKind) {}
    /// Where a rebuild writes the model: its name, new checkpoint and idle slot's database.
    var target: (name: String, checkpoint: ProjectionStore.Checkpoint, db: Database)?
    /// Frees the records once written.
    func release() {}
    /// Notes the key an event touches, to load its stored record before folding (catch-up).
    func note(_ event: borrowing FoldEvent) {}
    func loadNoted(db: Database, txn: borrowing Transaction) throws {}
    /// Writes the records a catch-up folded (each put where its key belongs) and forgets them.
    func writeTouched(db: Database, txn: borrowing Transaction) throws {}
    /// Encodes the records at `range` of the key order (`sortForAppend`) into `batch`, outside
    /// any transaction.
    func encode(range: Range<Int>, into batch: inout EncodedRecords) {}
    var count: Int { 0 }
    func sortForAppend() {}
    /// Folds again, in business-time order, every record that met an event out of that order
    /// (`KeyedProjector.needsRefold`), from its customer's events through sequence number
    /// `sequence` (the last the fold was given); before the records are written or handed out.
    /// - Returns: how many records were folded again.
    func refoldOutOfOrder(through sequence: UInt64, ledger: CustomerLedger) throws -> Int { 0 }
    /// Set when `refoldOutOfOrder` folded the whole model again in one pass (many records to fold again).
    var refoldedInOnePass = false
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
    override func accept(at event: UnsafePointer<FoldEvent>, slot: Int32) {
        guard event.pointee.sequence >= from, let key = projector.key(for: event.pointee) else { return }
        projector.apply(&records[key, default: projector.initial(key: key)], event.pointee)
    }

    override func refoldOutOfOrder(through sequence: UInt64, ledger: CustomerLedger) throws -> Int {
        guard P.foldsInBusinessOrder else { return 0 }
        let marked = records.filter { projector.needsRefold($0.value) }
        for (key, record) in marked {
            records[key] = try projector.refolded(key, customers: projector.streamCustomers(of: key, record), through: sequence, ledger: ledger)
        }
        return marked.count
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

    override func release() {
        DeferredRelease.drop((records, list))
        records = [:]
        list = []
        arena = []
        spans = []
        order = []
    }

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
        arena.withUnsafeBytes { a in
            spans.withUnsafeBufferPointer { sp in
                order = KeyOrder.sorted(Array(0..<Int32(list.count))) { i in
                    let span = sp[Int(i)]
                    return UnsafeRawBufferPointer(rebasing: a[Int(span.start)..<Int(span.start + span.count)])
                }
            }
        }
    }

    @_specialize(where P == CustomerSummaryProjector)
    @_specialize(where P == ComplaintStatusProjector)
    @_specialize(where P == DailySummaryProjector)
    @_specialize(where P == LoyaltyProjector)
    override func encode(range: Range<Int>, into batch: inout EncodedRecords) {
        arena.withUnsafeBytes { a in list.withUnsafeBufferPointer { records in
            for i in range {
                let r = Int(order[i])
                let k = UnsafeRawBufferPointer(rebasing: a[Int(spans[r].start)..<Int(spans[r].start + spans[r].count)])
                batch.add(key: k) { records[r].encode(to: &$0) } // borrowed in place: no copy of the record's arrays
            }
        } }
    }

    @_specialize(where P == CustomerSummaryProjector)
    @_specialize(where P == ComplaintStatusProjector)
    @_specialize(where P == DailySummaryProjector)
    @_specialize(where P == LoyaltyProjector)
    override func writeTouched(db: Database, txn: borrowing Transaction) throws {
        var w = RecordWriter()
        for (key, record) in records {
            w.reset()
            record.encode(to: &w)
            try Array(projector.storageKey(key).utf8).withUnsafeBytes { k in try w.withBytes { v in try txn.put(db, key: k, value: v) } }
        }
        records.removeAll(keepingCapacity: true)
    }
}

/// A customer-keyed projector whose rebuild keeps records by customer slot (`DenseFolding`).
protocol CustomerKeyed: KeyedProjector where Key == String {
    /// True when `key(for:)` would give the event's customer (false when it gives nil).
    func accepts(_ event: borrowing FoldEvent) -> Bool
    /// `initial(key:)`, which does not depend on the key: a fold on another thread than the one
    /// interning customer ids need not read the id (`CustomerSlots` is not thread-safe).
    func initialRecord() -> Record
    /// Starts loading (for writing) the lines of `record` an event of `kind` will touch: all of
    /// them, unless the record type says which.
    static func prefetchRecord(_ record: UnsafePointer<Record>, for kind: EventKind)
    /// Starts loading the heap storage of `record`'s parts (arrays, dictionaries) an event of
    /// `kind` will touch.
    static func prefetchParts(of record: UnsafePointer<Record>, for kind: EventKind)
    /// Starts loading the heap storage of every part of `record` its encoding reads (all of them).
    static func prefetchEncodedParts(of record: UnsafePointer<Record>)
    /// `needsRefold` of the record at `record`, read in place (no copy of its arrays).
    static func needsRefold(at record: UnsafePointer<Record>) -> Bool
}

extension CustomerKeyed {
    static func prefetchRecord(_ record: UnsafePointer<Record>, for kind: EventKind) { prefetchLines(of: record, write: true) }
    static func prefetchParts(of record: UnsafePointer<Record>, for kind: EventKind) {}
    static func prefetchEncodedParts(of record: UnsafePointer<Record>) {}
    static func needsRefold(at record: UnsafePointer<Record>) -> Bool { false }
}

/// Starts loading every cache line of the value at `p` (`write`: for a value about to be written).
@inline(__always)
func prefetchLines<T>(of p: UnsafePointer<T>, write: Bool = false) {
    let start = UnsafeRawPointer(p)
    var line = 0
    while line < MemoryLayout<T>.size {
        if write { clientele_prefetch_write(start + line) } else { clientele_prefetch(start + line) }
        line += 64
    }
}

/// Starts loading the cache lines of bytes `range` of the value at `base` (`write`: about to be written).
@inline(__always)
func prefetchBytes(_ base: UnsafeRawPointer, _ range: Range<Int>, write: Bool) {
    var line = UInt(bitPattern: base + range.lowerBound) & ~63
    let end = UInt(bitPattern: base + range.upperBound)
    while line < end {
        let p = UnsafeRawPointer(bitPattern: line)!
        if write { clientele_prefetch_write(p) } else { clientele_prefetch(p) }
        line += 64
    }
}

/// Starts loading the storage of the array, dictionary or set stored `offset` bytes into the
/// value at `base`: those are one reference to a heap object whose header (count, capacity) and
/// first elements are what a fold reads first. The reference is read as raw bits, neither
/// retained nor released (that would write to the very line being prefetched); a prefetch never
/// faults, whatever it is given.
@inline(__always)
func prefetchStorage(at base: UnsafeRawPointer, offset: Int) {
    if let storage = base.load(fromByteOffset: offset, as: UnsafeRawPointer?.self) { clientele_prefetch(storage) }
}

extension CustomerSummaryProjector: CustomerKeyed {
    @inline(__always) func accepts(_ event: borrowing FoldEvent) -> Bool { true }
    func initialRecord() -> CustomerSummary { CustomerSummary() }
    @inline(__always) static func needsRefold(at record: UnsafePointer<CustomerSummary>) -> Bool { record.pointee.foldedOutOfOrder }

    /// Where the lists begin in a `CustomerSummary`: every event touches the figures before them.
    static let listsStart = MemoryLayout<CustomerSummary>.offset(of: \.profileEvents)!

    /// Where the lists a consent change touches lie (an erasure's too): the profile's events and
    /// the marketing channels.
    static let consentLists = listsStart..<MemoryLayout<CustomerSummary>.offset(of: \.purchaseDays)!

    /// Where the lists a purchase touches lie: its days, categories and recent receipts.
    static let purchaseLists = MemoryLayout<CustomerSummary>.offset(of: \.purchaseDays)!..<MemoryLayout<CustomerSummary>.size

    /// Where the profile's events lie (a registration and a profile update touch them).
    static let profileList = listsStart..<MemoryLayout<CustomerSummary>.offset(of: \.marketingChannels)!

    /// Where the open complaints and the unresolved ones lie (a complaint filed, reopened or
    /// closed): the only parts of a summary on the heap, unless a list outgrew its inline places.
    static let complaintOffsets = [\CustomerSummary.openComplaints as PartialKeyPath<CustomerSummary>, \.unresolvedComplaintSince]
        .map { MemoryLayout<CustomerSummary>.offset(of: $0)! }

    /// The figures, and the lists an event of `kind` touches: a visit (or a return) touches none.
    @inline(__always)
    static func prefetchRecord(_ record: UnsafePointer<CustomerSummary>, for kind: EventKind) {
        let base = UnsafeRawPointer(record)
        prefetchBytes(base, 0..<listsStart, write: true)
        switch kind {
        case .purchaseRecorded: prefetchBytes(base, purchaseLists, write: true)
        case .consentGranted, .consentWithdrawn, .customerErased: prefetchBytes(base, consentLists, write: true)
        case .customerRegistered, .customerProfileUpdated: prefetchBytes(base, profileList, write: true)
        default: break
        }
    }

    /// Where the heap storage of a purchase's lists lies, for the lists that outgrew their
    /// inline places (the others' is the shared empty array's).
    static let purchaseSpills = [\CustomerSummary.purchaseDays.rest as PartialKeyPath<CustomerSummary>, \.categories.rest]
        .map { MemoryLayout<CustomerSummary>.offset(of: $0)! }

    /// Where the heap storage of the profile's events lies (beyond the inline ones).
    static let profileSpill = MemoryLayout<CustomerSummary>.offset(of: \.profileEvents.rest)!

    /// Where the heap storage of a consent change's lists lies.
    static let consentSpills = [profileSpill, MemoryLayout<CustomerSummary>.offset(of: \.marketingChannels.rest)!]

    /// The complaints' storage, and that of the lists that outgrew their inline places, for the
    /// events that touch them.
    @inline(__always)
    static func prefetchParts(of record: UnsafePointer<CustomerSummary>, for kind: EventKind) {
        let base = UnsafeRawPointer(record)
        switch kind {
        case .purchaseRecorded: for o in purchaseSpills { prefetchStorage(at: base, offset: o) }
        case .consentGranted, .consentWithdrawn, .customerErased: for o in consentSpills { prefetchStorage(at: base, offset: o) }
        case .customerRegistered, .customerProfileUpdated: prefetchStorage(at: base, offset: profileSpill)
        case .complaintFiled, .complaintReopened, .complaintClosed: for o in complaintOffsets { prefetchStorage(at: base, offset: o) }
        default: break
        }
    }

    @inline(__always)
    static func prefetchEncodedParts(of record: UnsafePointer<CustomerSummary>) {
        let base = UnsafeRawPointer(record)
        for o in encodedParts { prefetchStorage(at: base, offset: o) }
    }

    /// Where the heap storage a summary's encoding reads lies: the open complaints, the lists'
    /// spilled elements (the shared empty array's storage for lists that did not spill) and the
    /// older receipts.
    static let encodedParts = [complaintOffsets[0]] + consentSpills + purchaseSpills + [MemoryLayout<CustomerSummary>.offset(of: \.olderReceipts)!]
}

extension LoyaltyProjector: CustomerKeyed {
    @inline(__always) func accepts(_ event: borrowing FoldEvent) -> Bool {
        if event.kind != .careContactMade { return true }
        return event.member(.kind)?.equals("birthday-greeting") == true
    }
    func initialRecord() -> LoyaltyAccount { initial(key: "") }
    @inline(__always) static func needsRefold(at record: UnsafePointer<LoyaltyAccount>) -> Bool { record.pointee.foldedOutOfOrder }

    /// Where the receipts lie in a `LoyaltyAccount` (after the figures every event touches).
    static let receiptsList = MemoryLayout<LoyaltyAccount>.offset(of: \.receipts)!..<(MemoryLayout<LoyaltyAccount>.offset(of: \.receipts)! + MemoryLayout<LoyaltyAccount.Receipts>.size)

    /// The figures, and the receipts for the events that look a receipt up (a tier change, which
    /// touches the history's heap storage, is rare).
    @inline(__always)
    static func prefetchRecord(_ record: UnsafePointer<LoyaltyAccount>, for kind: EventKind) {
        let base = UnsafeRawPointer(record)
        prefetchBytes(base, 0..<receiptsList.lowerBound, write: true)
        switch kind {
        case .purchaseRecorded, .pointsEarned, .returnRecorded: prefetchBytes(base, receiptsList, write: true)
        default: break
        }
    }

    /// Where the heap storage of the receipts beyond the inline ones lies.
    static let receiptsSpill = MemoryLayout<LoyaltyAccount>.offset(of: \.receipts.entries.rest)!

    /// Where the tier history's heap storage lies.
    static let tierHistoryOffset = MemoryLayout<LoyaltyAccount>.offset(of: \.tierHistory)!

    @inline(__always)
    static func prefetchEncodedParts(of record: UnsafePointer<LoyaltyAccount>) {
        prefetchStorage(at: UnsafeRawPointer(record), offset: receiptsSpill)
        prefetchStorage(at: UnsafeRawPointer(record), offset: tierHistoryOffset)
    }

    /// The receipts beyond the inline ones, for the events that look a receipt up (the shared
    /// empty array's storage when there are none).
    @inline(__always)
    static func prefetchParts(of record: UnsafePointer<LoyaltyAccount>, for kind: EventKind) {
        switch kind {
        case .purchaseRecorded, .pointsEarned, .returnRecorded: prefetchStorage(at: UnsafeRawPointer(record), offset: receiptsSpill)
        default: break
        }
    }
}

/// A rebuild's fold of a customer-keyed model: records in an array indexed by the customer's
/// slot (interned once per event by the scan, shared with the other customer-keyed models)
/// instead of a dictionary of its own. A record's address follows from the slot alone, so the
/// fold loop can start loading it events ahead without first loading where it is (with a million
/// customers each such load was a cache miss of its own). Records are never moved during the
/// fold; they are written in key order through a sorted list of the slots that have one.
final class DenseFolding<P: CustomerKeyed>: ModelFold {
    let projector: P
    var slots: CustomerSlots
    /// The records by slot, in `TableMemory` (folding into `records[s]` needs no uniqueness,
    /// bounds or exclusivity check, which a class's array property would have per event); only
    /// the slots marked in `present` hold one.
    var records: UnsafeMutablePointer<P.Record>
    /// 1 for each slot with a record, in `TableMemory` (which reads as zeros until written).
    var present: UnsafeMutablePointer<UInt8>
    /// Room in `records` and `present`, in slots.
    var capacity = 1024
    /// The slots with a record, in the order their records were made.
    var listSlots: [Int32] = []
    /// `listSlots` in key order (`sortForAppend`).
    var order: [Int32] = []

    init(_ projector: P) {
        self.projector = projector
        slots = CustomerSlots(capacity: 1024)
        records = TableMemory.allocate(P.Record.self, capacity: capacity)
        present = TableMemory.allocate(UInt8.self, capacity: capacity)
        super.init(kinds: projector.eventKinds)
    }

    deinit {
        for s in listSlots { (records + Int(s)).deinitialize(count: 1) }
        TableMemory.free(records, capacity: capacity)
        TableMemory.free(present, capacity: capacity)
    }

    override func release() {
        ReleasedRecords(records: records, slots: listSlots, capacity: capacity).free()
        TableMemory.free(present, capacity: capacity)
        emptyTables()
    }

    /// Fresh tables of one slot and no record, once the old ones were let go of.
    private func emptyTables() {
        capacity = 1
        records = TableMemory.allocate(P.Record.self, capacity: capacity)
        present = TableMemory.allocate(UInt8.self, capacity: capacity)
        order = []
        listSlots = []
    }

    override var bySlot: Bool { true }
    override func share(_ slots: CustomerSlots) {
        precondition(listSlots.isEmpty, "customer slots are shared before folding")
        self.slots = slots
    }
    override var count: Int { order.count }

    @_specialize(where P == CustomerSummaryProjector)
    @_specialize(where P == LoyaltyProjector)
    override func accept(_ event: borrowing FoldEvent) {
        let slot = slots.slot(event.record.customerBytes)
        withUnsafePointer(to: event) { accept(at: $0, slot: slot) }
    }

    @_specialize(where P == CustomerSummaryProjector)
    @_specialize(where P == LoyaltyProjector)
    override func accept(at event: UnsafePointer<FoldEvent>, slot: Int32) {
        guard event.pointee.sequence >= from, projector.accepts(event.pointee) else { return }
        let s = Int(slot)
        if s >= capacity { grow(toHold: s) }
        if present[s] == 0 {
            (records + s).initialize(to: projector.initialRecord())
            present[s] = 1
            listSlots.append(slot)
        }
        projector.apply(&records[s], event.pointee)
    }

    /// One pass over the records once the fold is done (a flag in each: nothing is noted per
    /// event). A few records are folded again one by one, each from its customer's stream; many
    /// (a large POS file loaded late), and the whole model is folded again in one pass over the
    /// time index (`refoldOneByOneAtMost`).
    @_specialize(where P == CustomerSummaryProjector)
    @_specialize(where P == LoyaltyProjector)
    override func refoldOutOfOrder(through sequence: UInt64, ledger: CustomerLedger) throws -> Int {
        guard P.foldsInBusinessOrder else { return 0 }
        let marked = listSlots.filter { P.needsRefold(at: records + Int($0)) }
        if marked.count > Self.refoldOneByOneAtMost(events: sequence) {
            try refoldAllInBusinessOrder(through: sequence, ledger: ledger)
            refoldedInOnePass = true
            return marked.count
        }
        for (n, slot) in marked.enumerated() {
            let customer = String(decoding: slots.bytes(slot), as: UTF8.self)
            records[Int(slot)] = try projector.refolded(customer, customers: [customer], through: sequence, ledger: ledger)
            // Each stream is read through the map, wherever its events lie: let go of the pages
            // now and then (33k customers read one by one mapped ~0.7 GB of a 1.1M-event ledger;
            // letting go every 2,048 took 80 MB off the peak, every 512 270 MB but 40 % more time).
            // Past `refoldOneByOneAtMost` customers, the one pass maps none of it.
            if n % 2048 == 2047 { ledger.ledger.releaseMappedPages() }
        }
        ledger.ledger.releaseMappedPages()
        return marked.count
    }

    /// How many records a fold of a log of `events` events folds again one by one at most. One
    /// customer's stream is read at random (on a ledger of 1.1M events, 33k customers took 4–6 s:
    /// 0.12–0.2 ms each, letting go of the mapped pages now and then), the time index in one pass
    /// (1.7 s there: ~1.6 µs an event): past a customer per 200 events, one pass is the cheaper,
    /// and it holds no more of the ledger in memory than a view as of a time does.
    /// `CLIENTELE_REFOLD_ONE_BY_ONE_AT_MOST` overrides it (for tests and measurements: both ways
    /// give the same records).
    static func refoldOneByOneAtMost(events: UInt64) -> Int {
        if let v = getenv("CLIENTELE_REFOLD_ONE_BY_ONE_AT_MOST"), let n = Int(String(cString: v)), n >= 0 { return n }
        return max(1_000, Int(events / 200))
    }

    /// Every record folded again, in business-time order, from the events through `sequence` as
    /// the time index lists them (a view as of a time's fold), into the same slots. The records
    /// folded out of order are let go of first, so the model is held once, not twice: a million
    /// summaries are ~0.7 GB, which a second copy would have added to the rebuild's peak.
    private func refoldAllInBusinessOrder(through sequence: UInt64, ledger: CustomerLedger) throws {
        for s in listSlots { (records + Int(s)).deinitialize(count: 1) }
        TableMemory.free(records, capacity: capacity)
        TableMemory.free(present, capacity: capacity)
        emptyTables()
        let again = DenseFolding(projector)
        let everything = EventQuery(.occurred(from: Int64.min / 2, until: Int64.max / 2), sequences: 1...max(1, sequence))
        // The same customer slots: every customer is interned already, so the other threads'
        // reads of the table (writing the other models) see it unchanged.
        try ProjectionStore.fold(ProjectionStore.asOfGroups(again), query: everything, ledger: ledger, storingIn: nil, slots: slots)
        // Plain assignments, not `swap`: a class property passed inout anywhere in the module
        // keeps the runtime's exclusivity checks on its every access, the fold's included (the
        // rebuild of `F` took 20–25 % longer with them).
        let (folded, marks, room, made) = (again.records, again.present, again.capacity, again.listSlots)
        (again.records, again.present, again.capacity, again.listSlots) = (records, present, capacity, listSlots)
        (records, present, capacity, listSlots) = (folded, marks, room, made)
    }

    private func grow(toHold s: Int) {
        let grown = max(s + 1, 2 * capacity)
        records = TableMemory.grow(records, capacity: capacity, to: grown)
        present = TableMemory.grow(present, capacity: capacity, to: grown)
        capacity = grown
    }

    @_specialize(where P == CustomerSummaryProjector)
    @_specialize(where P == LoyaltyProjector)
    override func prefetch(slot: Int32, stage: Int, kind: EventKind) {
        let s = Int(slot)
        guard s < capacity else { return }
        if stage == 0 {
            // The record's place follows from the slot: nothing to load first.
            P.prefetchRecord(records + s, for: kind)
        } else if present[s] != 0 {
            P.prefetchParts(of: records + s, for: kind)
        }
    }

    override func sortForAppend() {
        let slots = self.slots
        // The records' slots in slot order, not in the order they were made: a rebuild interns the
        // customers it already knows in key order (`internKnownCustomers`), so their ids are then
        // read one after the other, and come out of the sort nearly in place.
        var held: [Int32] = []
        held.reserveCapacity(listSlots.count)
        for s in 0..<Int32(min(capacity, slots.count)) where present[Int(s)] != 0 { held.append(s) }
        order = KeyOrder.sorted(held) { slots.bytes($0) }
    }

    @_specialize(where P == CustomerSummaryProjector)
    @_specialize(where P == LoyaltyProjector)
    override func encode(range: Range<Int>, into batch: inout EncodedRecords) {
        let records = self.records
        guard let last = range.last else { return }
        let ahead = 8
        for i in range {
            let s = Int(order[i])
            // Records are encoded in key order: nearly the order they lie in for the customers
            // the rebuild knew (`internKnownCustomers`), scattered for the others, and whatever a
            // record keeps on the heap is a miss either way. Start loading the record 2·ahead on
            // (every line of it: the encoding reads its inline lists, and the references to the
            // rest), and its heap parts one ahead on (whose record was asked for `ahead` records ago).
            prefetchLines(of: records + Int(order[min(i + 2 * ahead, last)]))
            P.prefetchEncodedParts(of: records + Int(order[min(i + ahead, last)]))
            // Moved out, encoded, moved back: bit copies. Encoding it in place (a buffer's
            // subscript, or `pointee`) copied each record first, retaining and releasing every
            // array in it (the compiler cannot tell that the writer does not alias the record).
            let record = (records + s).move()
            batch.add(key: slots.bytes(Int32(s))) { record.encode(to: &$0) }
            (records + s).initialize(to: record)
        }
    }
}

/// The folds one thread runs during a rebuild, fed by the one scan of the log.
/// `@unchecked Sendable`: a group is handed to exactly one worker and read back only after
/// every worker has returned (the rebuild waits on their `DispatchGroup`).
final class FoldGroup: @unchecked Sendable {
    var folds: [ModelFold] = [] { didSet { dense = folds.filter(\.bySlot) } }
    /// The folds by customer slot, whose records are prefetched.
    private(set) var dense: [ModelFold] = []
    var error: Error?
    var weight: Int { folds.reduce(0) { $0 + $1.weight } }
    /// Records folded again in business-time order once the scan was done (`refoldOutOfOrder`),
    /// by model name, and the models folded again whole, in one pass.
    var refolded: [String: Int] = [:]
    var refoldedInOnePass: Set<String> = []
    /// The sequence number of the last event the group was given (every group is given every
    /// event the scan yields, in batches).
    var lastSequence: UInt64 = 0

    /// Once the group has folded the whole scan: folds again, in business-time order, every record
    /// that met an event out of that order (`ModelFold.refoldOutOfOrder`), on this group's thread.
    /// - Returns: false, with `error` set, when the ledger could not be read.
    func refoldOutOfOrder(ledger: CustomerLedger) -> Bool {
        do {
            for f in folds {
                let n = try f.refoldOutOfOrder(through: lastSequence, ledger: ledger)
                guard n > 0 else { continue }
                let name = f.target?.name ?? ""
                refolded[name, default: 0] += n
                if f.refoldedInOnePass { refoldedInOnePass.insert(name) }
            }
            return true
        } catch {
            self.error = error
            return false
        }
    }

    /// How many events ahead of the one folded each stage is prefetched (`ModelFold.prefetch`):
    /// the record 8, its parts 4. (With a stage before them that loaded the record's entry in an
    /// index by slot, 12, 8, 4 was the best of 3, 2, 1; 6, 4, 2; 12, 8, 4 and 20, 12, 6; on 3.25M
    /// events, CPU seconds 7.3, 7.1, 6.9, 6.8; with the records by slot, 14, 5 and 20, 8 were
    /// within the noise.) `CLIENTELE_PREFETCH_AHEAD=R,P` overrides it (for measurements).
    static let ahead: (record: Int, parts: Int) = {
        if let v = getenv("CLIENTELE_PREFETCH_AHEAD") {
            let n = String(cString: v).split(separator: ",").compactMap { Int($0) }
            if n.count == 2 { return (n[0], n[1]) }
        }
        return (8, 4)
    }()

    /// Folds a batch of events into every model of the group, in order. The records of customer
    /// slots are scattered over far more memory than the caches hold: a few events ahead of the
    /// one being folded, each slotted fold is told to prefetch the record, then its parts, so
    /// that folding finds them loaded.
    func fold(_ batch: FoldFeed.Batch) {
        let items = batch.items, n = batch.count
        if n > 0 { lastSequence = items[n - 1].event.sequence }
        // The group holds its folds for the whole batch: each call goes through an unretained
        // reference (a retain and a release per fold and event were 5 % of a rebuild's samples).
        let folds = self.folds.map { Unmanaged.passUnretained($0) }, dense = self.dense.map { Unmanaged.passUnretained($0) }
        let ahead = Self.ahead
        withExtendedLifetime((self.folds, self.dense)) {
            for i in 0..<n {
                if i + ahead.record < n { (items + i + ahead.record).pointee.event.prefetch() }
                if !dense.isEmpty {
                    @inline(__always) func prefetch(ahead: Int, stage: Int) {
                        guard i + ahead < n else { return }
                        let next = items + i + ahead
                        guard next.pointee.slot >= 0 else { return }
                        for f in dense {
                            f._withUnsafeGuaranteedRef { f in
                                if f.kinds.contains(next.pointee.event.kind) { f.prefetch(slot: next.pointee.slot, stage: stage, kind: next.pointee.event.kind) }
                            }
                        }
                    }
                    prefetch(ahead: ahead.record, stage: 0)
                    prefetch(ahead: ahead.parts, stage: 1)
                }
                let item = items + i
                for f in folds {
                    f._withUnsafeGuaranteedRef { f in
                        if f.kinds.contains(item.pointee.event.kind) { f.accept(at: &item.pointee.event, slot: item.pointee.slot) }
                    }
                }
            }
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
            for m in live { _ = try m.fold.refoldOutOfOrder(through: end, ledger: ledger) }
            try environment.write { (txn: borrowing Transaction) throws in
                for m in live {
                    try m.fold.writeTouched(db: m.db, txn: txn)
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

    /// A rebuild's fold: customer-keyed stored models by customer slot, the daily summary by its
    /// own table of store-days (`StoreDayFolding`), the others by key;
    /// weighted by their measured share of the fold's time.
    static func makeRebuildFold<P: KeyedProjector>(_ p: P) -> ModelFold {
        let fold: ModelFold
        switch p {
        case let p as CustomerSummaryProjector: fold = DenseFolding(p); fold.weight = 4
        case let p as LoyaltyProjector: fold = DenseFolding(p); fold.weight = 3
        case let p as DailySummaryProjector: fold = StoreDayFolding(p); fold.weight = 2
        case let p as ComplaintStatusProjector: fold = Folding(p); fold.weight = 1
        default: fold = Folding(p)
        }
        return fold
    }

    /// Interns the customers of the live customer-summary model into `slots` (none when it was
    /// never built), in key order: a rebuild's records then lie in the order it writes them in.
    /// Written in the order the scan met them, the writing phase read them all over the table (a
    /// million customers), each a miss on every line of the record.
    func internKnownCustomers(into slots: CustomerSlots) throws {
        let databases = try slotDatabases(CustomerSummaryProjector.name)
        try environment.read { (txn: borrowing Transaction) throws in
            guard let db = try liveDatabase(CustomerSummaryProjector.name, databases, in: txn) else { return }
            try txn.withCursor(db) { (cursor: inout Cursor) throws in
                // In runs of 32: each id's table entry is prefetched before any is interned (the
                // table is far bigger than the caches: one at a time, each waited for its miss).
                let run = 32
                var keys: [UnsafeRawBufferPointer] = []
                var hashes: [UInt64] = []
                keys.reserveCapacity(run)
                hashes.reserveCapacity(run)
                var entry = try cursor.first()
                while entry != nil {
                    keys.removeAll(keepingCapacity: true)
                    hashes.removeAll(keepingCapacity: true)
                    while let e = entry, keys.count < run {
                        let h = CustomerSlots.hash(e.key)
                        slots.prefetch(hash: h)
                        keys.append(e.key)
                        hashes.append(h)
                        entry = try cursor.next()
                    }
                    for i in keys.indices { _ = slots.slot(keys[i], hash: hashes[i]) }
                }
            }
        }
        // The model's pages were read through the map: let go of them (the rebuild's memory).
        environment.releaseMappedPages()
    }

    /// How many customers the live customer-summary model holds (0 when it was never built): a
    /// rebuild's estimate of the customers it will meet.
    func knownCustomers() throws -> Int {
        let slots = try slotDatabases(CustomerSummaryProjector.name)
        return try environment.read { (txn: borrowing Transaction) throws -> Int in
            guard let db = try liveDatabase(CustomerSummaryProjector.name, slots, in: txn) else { return 0 }
            return try txn.stat(db).entries
        }
    }

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
        try rebuildReporting(projectors).head
    }

    /// `rebuild(_:)`, telling how long each of its phases took.
    public func rebuildReporting(_ projectors: [any KeyedProjector]) throws -> RebuildReport {
        let head = try ledger.ledger.head().sequence
        var models: [(fold: ModelFold, name: String, checkpoint: Checkpoint, db: Database)] = []
        for p in projectors {
            let name = type(of: p).name
            let slot = try checkpoint(name)?.slot == "a" ? "b" : "a"
            models.append((Self.makeRebuildFold(p), name, Checkpoint(slot: slot, version: type(of: p).version, sequence: head, parameters: p.parameters),
                           try database(name, slot: slot)))
        }
        for m in models { m.fold.target = (m.name, m.checkpoint, m.db) }
        let groups = Self.share(models.map(\.fold), threads: Self.foldThreads, scanWeight: Self.scanWeight)
        let started = ContinuousClock.now
        let slots = CustomerSlots(capacity: max(1 << 16, try knownCustomers()))
        if models.contains(where: { $0.fold.bySlot }) { try internKnownCustomers(into: slots) }
        let ends = try Self.fold(groups, query: .all(through: head), ledger: ledger, storingIn: self, slots: slots)
        let written = ContinuousClock.now
        try environment.sync()
        let synced = ContinuousClock.now
        let folded = ends?.folded ?? written, sorted = ends?.sorted ?? written
        let phases = RebuildPhases(fold: (folded - started).seconds, sort: (sorted - folded).seconds,
                                   write: (written - sorted).seconds, sync: (synced - written).seconds)
        return RebuildReport(head: head, refolded: groups.reduce(into: [:]) { $0.merge($1.refolded, uniquingKeysWith: +) },
                             refoldedInOnePass: groups.reduce(into: []) { $0.formUnion($1.refoldedInOnePass) }, phases: phases)
    }

    /// Folds `groups`' models from the events `query` yields, in one scan: this thread scans and
    /// folds the first group and hands every event the other groups read to their threads (each
    /// on a queue of its own, so that each runs on a thread of its own whatever the pool's width:
    /// they wait on each other). With `store`, the models are then written into their idle slots
    /// by every thread together (`ModelWriting`: a rebuild); without, they stay in memory (a fold
    /// as of a past point).
    ///
    /// `slots`: the customer slots to intern into (a rebuild's, sized for the customers it will
    /// likely meet and holding those already known, in key order); by default, a small table that
    /// grows as the scan meets customers.
    /// - Returns: with `store`, when the last thread finished folding and when the last finished
    ///   sorting (`RebuildPhases`).
    @discardableResult
    static func fold(_ groups: [FoldGroup], query: EventQuery, ledger: CustomerLedger, storingIn store: ProjectionStore?,
                     slots: CustomerSlots = CustomerSlots()) throws -> (folded: ContinuousClock.Instant, sorted: ContinuousClock.Instant)? {
        for g in groups { for f in g.folds { f.share(slots) } }
        let feed = FoldFeed(consumers: groups.count - 1, depth: feedDepth)
        let writing = store.map { ModelWriting($0, folds: groups.flatMap(\.folds), threads: groups.count, batch: $0.recordsPerWrite) }
        // Records that met an event out of business-time order are folded again once the scan is
        // done, through its last sequence number: only for a scan in sequence order (one by time
        // folds in business-time order already, and its last event is not its highest number).
        let refolds = query.index == .log
        let done = DispatchGroup()
        for (i, g) in groups.enumerated().dropFirst() {
            DispatchQueue(label: "clientele.rebuild.fold.\(i)").async(group: done) {
                let folded = foldFed(g, from: feed, consumer: i - 1) && (!refolds || g.refoldOutOfOrder(ledger: ledger))
                do { try writing?.run(own: g.folds, folded: folded) } catch { g.error = g.error ?? error }
            }
        }
        var folded = false
        do {
            try scanAndFold(groups[0], slots: slots, feed: feed, fed: Array(groups.dropFirst()), query: query, ledger: ledger)
            folded = !refolds || groups[0].refoldOutOfOrder(ledger: ledger)
        } catch { groups[0].error = error }
        do { try writing?.run(own: groups[0].folds, folded: folded) } catch { groups[0].error = groups[0].error ?? error }
        done.wait()
        // Written (or failed): the records go to the release thread, now that no thread encodes.
        if store != nil { for g in groups { for f in g.folds { f.release() } } }
        if let error = groups.lazy.compactMap(\.error).first { throw error }
        return writing?.phaseEnds
    }

    /// The groups an as-of fold of one model runs in: with two threads, the scan on this one and
    /// the fold on the other (as in a rebuild); with one, both here.
    static func asOfGroups(_ fold: ModelFold) -> [FoldGroup] {
        let folding = FoldGroup()
        folding.folds = [fold]
        return foldThreads >= 2 ? [FoldGroup(), folding] : [folding]
    }

    /// Whether the folds' scans read the log's pages with `pread` (`EventQuery.copiesPages`)
    /// rather than through the map: on by default; `CLIENTELE_COPY_PAGES=0` turns it off (for
    /// measurements: the scan then lets go of mapped pages past `MappedFileBudget`).
    static var copiesPages: Bool {
        if let v = getenv("CLIENTELE_COPY_PAGES") { return String(cString: v) != "0" }
        return true
    }

    /// Threads a rebuild of the stored models folds on (for reports such as `clientele bench`).
    public static var rebuildThreads: Int { min(foldThreads, storedModels().count) }

    /// Threads a rebuild folds on: the processors online, at most 2 (two groups of models);
    /// `CLIENTELE_FOLD_THREADS` overrides it (1 folds every model on the calling thread).
    static var foldThreads: Int {
        if let v = getenv("CLIENTELE_FOLD_THREADS"), let n = Int(String(cString: v)), n > 0 { return n }
        return max(1, min(2, sysconf(Int32(_SC_NPROCESSORS_ONLN))))
    }

    /// Batches (of 2,048 events) the scanning thread may run ahead of the slowest other folding
    /// thread. `CLIENTELE_FEED_DEPTH` overrides it (for measurements).
    static var feedDepth: Int {
        if let v = getenv("CLIENTELE_FEED_DEPTH"), let n = Int(String(cString: v)), n >= 2 { return n }
        return 4
    }

    /// The scanning thread's share of a rebuild's work, as a fold's weight: it reads the log, tells
    /// each event apart, walks the receipts and finds its customer's slot for every thread. At 5,
    /// the two customer-keyed models (summary 4, loyalty 3) fold on the other thread and the
    /// scanning one keeps the days and complaints: with 4, loyalty went to the scanning thread,
    /// which then bounded the fold (busy ~95 % against ~65 %), and a rebuild of 10.8M events took
    /// 8.26 s against 7.32 s (medians of 5 alternating pairs; 7 of 8 pairs faster); with 6 or 8
    /// (complaints, or days, on the other thread too), 7.38 and 7.29 s against 6.94 s.
    /// `CLIENTELE_SCAN_WEIGHT` overrides it (for measurements).
    static var scanWeight: Int {
        if let v = getenv("CLIENTELE_SCAN_WEIGHT"), let n = Int(String(cString: v)), n >= 0 { return n }
        return 5
    }

    /// The folds shared into at most `threads` groups of about equal weight (heaviest first,
    /// each into the lightest group); the first group's thread also scans (`scanWeight`).
    static func share(_ folds: [ModelFold], threads: Int, scanWeight: Int = 0) -> [FoldGroup] {
        let groups = (0..<max(1, min(threads, folds.count))).map { _ in FoldGroup() }
        var weights = groups.map(\.weight)
        weights[0] += scanWeight
        for f in folds.sorted(by: { $0.weight > $1.weight }) {
            let lightest = weights.indices.min { weights[$0] < weights[$1] }!
            groups[lightest].folds.append(f)
            weights[lightest] += f.weight
        }
        return groups
    }

    /// The scanning thread's part of a rebuild (or of an as-of fold): one scan of what `query`
    /// yields, each event told apart once, in batches; each batch's customers interned (in
    /// `slots`: their table entries were prefetched while the batch filled), the batch handed to
    /// the `fed` groups' threads through `feed` and folded into `group` here.
    static func scanAndFold(_ group: FoldGroup, slots: CustomerSlots, feed: FoldFeed, fed: [FoldGroup], query: EventQuery,
                            ledger: CustomerLedger) throws {
        let folds = group.folds + fed.flatMap(\.folds)
        let kinds = folds.reduce(EventKind.Set([])) { $0.union($1.kinds) }
        let slotKinds = folds.filter(\.bySlot).reduce(EventKind.Set([])) { $0.union($1.kinds) }
        var reader = FoldEventReader(catalog: ledger.catalog)
        var finished = false
        defer { if !finished { feed.finish(complete: false) } }
        func complete(_ batch: FoldFeed.Batch, ending: Bool) {
            let items = batch.items
            for i in 0..<batch.count where items[i].slot == -2 {
                items[i].slot = slots.slot(items[i].event.record.customerBytes, hash: items[i].hash)
            }
            feed.publish(last: ending)
            group.fold(batch)
        }
        // The scan passes over the whole log: it copies the pages it reads into runs it reuses
        // (or, through the map, lets go of the pages as it moves on), so that the fold's resident
        // size is its records, not the ledger's file.
        var scan = query
        scan.copiesPages = copiesPages
        scan.releasesMappedPages = true
        try ledger.ledger.scanRecords(scan) { record, run in
            reader.visit(record, kinds: kinds) { e in
                // One hash per event for every customer-keyed model of every thread; the
                // slot is found when the batch is full (-2 until then).
                var hash: UInt64 = 0, slot: Int32 = -1
                if slotKinds.contains(e.kind) {
                    hash = CustomerSlots.hash(e.record.customerBytes)
                    slots.prefetch(hash: hash)
                    slot = -2
                }
                if feed.push(e, in: run, slot: slot, hash: hash) { complete(feed.filled, ending: false) }
            }
            return true
        } finishing: { completed in
            // The other threads read the events (in the map, or in runs their batches hold): the
            // transaction stays open until they are done.
            finished = true
            if completed { complete(feed.filled, ending: true) }
            feed.finish(complete: completed)
        }
    }

    /// Another thread's part of a rebuild (or of an as-of fold): `group` folded from the batches
    /// the scanning thread hands it.
    /// - Returns: false when the scan failed (what was folded is not the whole log; the scanning
    ///   thread reports the error).
    static func foldFed(_ group: FoldGroup, from feed: FoldFeed, consumer: Int) -> Bool {
        feed.consume(consumer) { batch in group.fold(batch) }
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
        let slots = try slotDatabases(P.name)
        return try environment.read { (txn: borrowing Transaction) throws -> P.Record? in
            guard let db = try liveDatabase(P.name, slots, in: txn) else { return nil }
            return try Self.load(P.self, key: key, db: db, txn: txn)
        }
    }

    /// One key's records of two models as stored (without catching up first), from one snapshot:
    /// a catch-up writes the models together, so the two always describe the same point of the log.
    public func storedRecords<P: KeyedProjector, Q: KeyedProjector>(_ p: P, _ q: Q, key: String) throws -> (P.Record?, Q.Record?) {
        let sp = try slotDatabases(P.name), sq = try slotDatabases(Q.name)
        return try environment.read { (txn: borrowing Transaction) throws -> (P.Record?, Q.Record?) in
            (try liveDatabase(P.name, sp, in: txn).flatMap { try Self.load(P.self, key: key, db: $0, txn: txn) },
             try liveDatabase(Q.name, sq, in: txn).flatMap { try Self.load(Q.self, key: key, db: $0, txn: txn) })
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
        try storedBytes(projector) { k, v in
            let key = String(decoding: k, as: UTF8.self)
            guard let record = Self.decode(v, as: P.Record.self) else { throw ProjectionError.damaged(model: P.name, key: key) }
            return try body(key, record)
        }
    }

    /// Every stored record's key and bytes, in key order, as `storedRecords` reads them before
    /// decoding (valid only inside `body`); `body` returns false to stop.
    func storedBytes<P: KeyedProjector>(_ projector: P, _ body: (UnsafeRawBufferPointer, UnsafeRawBufferPointer) throws -> Bool) throws {
        let slots = try slotDatabases(P.name)
        try environment.read { (txn: borrowing Transaction) throws in
            guard let db = try liveDatabase(P.name, slots, in: txn) else { return }
            try txn.withCursor(db) { (cursor: inout Cursor) throws in
                var entry = try cursor.first()
                while let e = entry {
                    if try !body(e.key, e.value) { return }
                    entry = try cursor.next()
                }
            }
        }
    }

    /// How many records `projector`'s stored model holds (as stored: not caught up first). For
    /// gathering them into an array of the right size at once: a million summaries appended one by
    /// one to a growing array were copied about twice over, half a GB each time.
    public func storedCount<P: KeyedProjector>(_ projector: P) throws -> Int {
        let slots = try slotDatabases(P.name)
        return try environment.read { (txn: borrowing Transaction) throws -> Int in
            guard let db = try liveDatabase(P.name, slots, in: txn) else { return 0 }
            return try txn.stat(db).entries
        }
    }

    /// Every record of `projector`'s model — live, or folded as of `point` — and the moment it
    /// describes (now, the given time, or when the given event was recorded).
    public func snapshot<P: KeyedProjector>(_ projector: P, asOf point: AsOf?) throws -> (records: [(String, P.Record)], now: Timestamp) {
        guard let point else {
            var out: [(String, P.Record)] = []
            try catchUp(projector)
            out.reserveCapacity(try storedCount(projector))
            try storedRecords(projector) { k, r in out.append((k, r)); return true }
            return (out, Timestamp.now())
        }
        let folded = try InMemoryFold.foldInKeyOrder(projector, ledger: ledger, asOf: point)
        return (folded, try moment(of: point))
    }

    /// The moment a past point describes: the time itself, or when event N was recorded (now when
    /// the log has no event N yet).
    public func moment(of point: AsOf) throws -> Timestamp {
        switch point {
        case .time(let t): return t
        case .sequence(let n): return try ledger.ledger.event(n)?.recordedAt ?? Timestamp.now()
        }
    }
}

extension ProjectionStore {
    /// The model as of a past point, folded in memory from the log; stored state is not touched.
    public func fold<P: KeyedProjector>(_ projector: P, asOf point: AsOf) throws -> [String: P.Record] {
        try InMemoryFold.fold(projector, ledger: ledger, asOf: point)
    }
}

extension KeyedProjector {
    /// Folds `events` into `record`: one key's model apart from the store, e.g. one customer as of
    /// a past point. In the order given, or in business-time order for a model that folds in it
    /// (`foldsInBusinessOrder`). Events the model keys to no record (`key(for:)`) are passed over,
    /// as every other fold passes them over.
    public func fold(_ events: [RecordedEvent], into record: inout Record, catalog: SchemaCatalog = .builtIn) {
        fold(events, into: &record, only: nil, catalog: catalog)
    }

    /// `fold(_:into:catalog:)` of the events keyed `only` (all keyed events when nil): a
    /// customer's stream holds the events of each of their complaints.
    func fold(_ events: [RecordedEvent], into record: inout Record, only: Key?, catalog: SchemaCatalog) {
        var reader = FoldEventReader(catalog: catalog)
        func fold(_ e: RecordedEvent) {
            e.withRecord { r in
                reader.visit(r, kinds: eventKinds) { e in
                    if let k = key(for: e), only == nil || k == only { apply(&record, e) }
                }
            }
        }
        if Self.foldsInBusinessOrder {
            for e in events.sorted(by: RecordedEvent.inBusinessOrder) { fold(e) }
        } else {
            for e in events { fold(e) }
        }
    }

    /// The record keyed `key` folded again from the events through sequence number `sequence` of
    /// the `customers` whose streams hold them, in business-time order: a model that folds in that
    /// order (`foldsInBusinessOrder`) calls it for a record that met an event out of that order
    /// (`needsRefold`).
    func refolded(_ key: Key, customers: [String], through sequence: UInt64, ledger: CustomerLedger) throws -> Record {
        var events: [RecordedEvent] = []
        for customer in customers {
            var stream = EventQuery(.customer(customer), sequences: 1...max(1, sequence))
            stream.includesObservations = false // access records change nothing a fold keeps
            try ledger.ledger.scan(stream) { e in
                events.append(e)
                return true
            }
        }
        var record = initial(key: key)
        fold(events, into: &record, only: key, catalog: ledger.catalog)
        return record
    }
}

