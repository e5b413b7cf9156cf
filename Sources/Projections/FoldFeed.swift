import Dispatch
import LMDB
import LedgerJSON

/// Events a rebuild's scanning thread has read and told apart, in batches that it folds itself
/// and hands to the rebuild's other folding threads: the log is scanned, and each event's kind,
/// receipt fields and customer slot found, once for every thread instead of once per thread.
/// A fold of a whole batch knows which records the next events touch (`FoldGroup.fold(_:)`
/// prefetches them), and the customers of a batch are interned after their table entries were
/// prefetched while it was filled.
///
/// A ring of `depth` batches. Each consumer has two semaphores of its own (batches it may read,
/// batches it has given back), so the scanner refills a batch only when every consumer is done
/// with it, and a consumer never waits on another. The events are `FoldEvent`s: views into the
/// ledger's map, valid while the scanner's read transaction is open (the scanner calls `finish`
/// before closing it, which waits for every consumer to give every batch back), into the runs of
/// pages a copying scan read them into (the batch holds those runs until it is refilled), or, for
/// an event upcast from an older schema version, into a copy of its payload the batch owns until
/// refilled.
///
/// `@unchecked Sendable`: a batch is written only by the scanner, between every consumer giving it
/// back and its publication, and read by consumers only between its publication and their giving
/// it back; the semaphores order those accesses.
final class FoldFeed: @unchecked Sendable {
    /// One event for the folds: the event, its customer's slot (-1 when no slotted fold reads it)
    /// and the hash of its customer id (`CustomerSlots.hash`, while the batch is filled).
    struct Item {
        var event: FoldEvent
        var slot: Int32
        var hash: UInt64
    }

    /// A batch of events, in log order. `last` marks the end of the feed (`complete` false: the
    /// scan failed, and the consumers must not store what they folded).
    final class Batch {
        let items: UnsafeMutablePointer<Item>
        var count = 0
        var last = false
        var complete = true
        /// Payloads upcast from older schema versions, owned until the batch is refilled.
        var owned: [UnsafeMutableRawBufferPointer] = []
        /// The runs of copied pages the events are in, held until the batch is refilled, and the
        /// last one added (compared without retaining it: a retain per event is measurable).
        var runs: [CopiedPages] = []
        var lastRun: ObjectIdentifier?

        init(capacity: Int) { items = .allocate(capacity: capacity) }

        func reset() {
            count = 0
            for b in owned { b.deallocate() }
            owned.removeAll(keepingCapacity: true)
            runs.removeAll(keepingCapacity: true)
            lastRun = nil
        }

        deinit {
            reset()
            items.deallocate()
        }
    }

    private struct Consumer {
        let ready = DispatchSemaphore(value: 0)
        let free: DispatchSemaphore
    }

    let capacity: Int
    /// How many threads read the feed besides the scanning one.
    var consumerCount: Int { consumers.count }
    private let batches: [Batch]
    private let consumers: [Consumer]
    /// The batch being filled (acquired from every consumer) and its position in the ring; not
    /// retained (`batches` holds every batch), so that adding an event retains nothing: a retain
    /// and a release of the batch per event were ~3 % of the scanning thread's samples.
    private var filling: Unmanaged<Batch>?
    private var next = 0
    /// True once the last batch is published.
    private var ended = false

    /// A feed for `consumers` threads, in a ring of `depth` batches of `capacity` events.
    init(consumers: Int, depth: Int = 4, capacity: Int = 2048) {
        precondition(_isPOD(FoldEvent.self), "push copies a FoldEvent's bytes")
        self.capacity = capacity
        batches = (0..<depth).map { _ in Batch(capacity: capacity) }
        self.consumers = (0..<consumers).map { _ in Consumer(free: DispatchSemaphore(value: depth)) }
    }

    /// Scanner: adds one event (copying its payload when it is not in the stored record: upcast),
    /// and holds the run of copied pages it is in.
    /// - Returns: true when the batch is full (`publish` it, `filled`).
    @inline(__always)
    func push(_ event: borrowing FoldEvent, in run: CopiedPages?, slot: Int32, hash: UInt64) -> Bool {
        withUnsafePointer(to: event) { event in
            (filling ?? Unmanaged.passUnretained(acquire()))._withUnsafeGuaranteedRef { b in
                if let run, b.lastRun != ObjectIdentifier(run) {
                    b.runs.append(run)
                    b.lastRun = ObjectIdentifier(run)
                }
                let item = b.items + b.count
                let payload = event.pointee.payload.bytes, record = event.pointee.record.bytes
                if let p = payload.baseAddress, let r = record.baseAddress, p < r || p + payload.count > r + record.count {
                    let owned = UnsafeMutableRawBufferPointer.allocate(byteCount: payload.count, alignment: 8)
                    owned.copyMemory(from: payload)
                    b.owned.append(owned)
                    let copied = FoldEvent(record: event.pointee.record, kind: event.pointee.kind, payload: JSONSpan(UnsafeRawBufferPointer(owned)))
                    item.initialize(to: Item(event: copied, slot: slot, hash: hash))
                } else {
                    // One copy of the event, straight into the batch (`copy event` into an
                    // `Item` copied its 168 bytes twice); a `FoldEvent` holds no reference.
                    UnsafeMutableRawPointer(item).copyMemory(from: event, byteCount: MemoryLayout<FoldEvent>.size)
                    item.pointer(to: \.slot)!.initialize(to: slot)
                    item.pointer(to: \.hash)!.initialize(to: hash)
                }
                b.count += 1
                return b.count == capacity
            }
        }
    }

    /// Scanner: the batch being filled, full or not (to publish it; at the end of the scan, before
    /// it is full).
    var filled: Batch { (filling ?? Unmanaged.passUnretained(acquire())).takeUnretainedValue() }

    /// Scanner: hands the batch being filled to the consumers; `last` when it ends the feed
    /// (`complete` false: the scan failed).
    func publish(last: Bool = false, complete: Bool = true) {
        guard let b = filling?.takeUnretainedValue() else { return }
        b.last = last
        b.complete = complete
        filling = nil
        next += 1
        ended = last
        for c in consumers { c.ready.signal() }
    }

    /// Scanner: the end of the feed, once the last batch is published (or, when the scan failed,
    /// an empty last batch); waits until every consumer has given back every batch (the events'
    /// views stay valid until then).
    func finish(complete: Bool) {
        if !ended {
            let b = filled
            if !complete { b.count = 0 }
            publish(last: true, complete: complete)
        }
        for c in consumers {
            for _ in batches { c.free.wait() }
            for _ in batches { c.free.signal() }
        }
    }

    private func acquire() -> Batch {
        for c in consumers { c.free.wait() }
        let b = batches[next % batches.count]
        b.reset()
        filling = Unmanaged.passUnretained(b)
        return b
    }

    /// Consumer `index`: visits every batch of the feed in order, until its end.
    /// - Returns: false when the scan failed (what was folded is not the whole log).
    func consume(_ index: Int, _ body: (Batch) -> Void) -> Bool {
        let c = consumers[index]
        var position = 0
        while true {
            c.ready.wait()
            let b = batches[position % batches.count]
            body(b)
            let last = b.last, complete = b.complete
            c.free.signal()
            if last { return complete }
            position += 1
        }
    }
}
