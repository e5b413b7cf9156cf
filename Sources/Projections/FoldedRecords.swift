import CustomerEvents
import Ledger

/// A fold whose records can be handed out by storage key once it is done: how a model folded in
/// memory as of a past point (`InMemoryFold.fold`) gets the rebuild's fold.
protocol FoldedRecords<Record> {
    associatedtype Record
    /// Every record folded, by its storage key.
    func recordsByStorageKey() -> [String: Record]
    /// Every record folded with its storage key, in key order (byte order); the fold gives its
    /// records up.
    func takeRecordsInKeyOrder() -> [(String, Record)]
}

extension Folding: FoldedRecords {
    func recordsByStorageKey() -> [String: P.Record] {
        var out: [String: P.Record] = [:]
        out.reserveCapacity(records.count)
        for (k, v) in records { out[projector.storageKey(k)] = v }
        return out
    }
}

extension Folding {
    func takeRecordsInKeyOrder() -> [(String, P.Record)] {
        var out = records.map { (projector.storageKey($0.key), $0.value) }
        records = [:]
        out.sort { a, b in a.0.utf8.lexicographicallyPrecedes(b.0.utf8) }
        return out
    }
}

extension DenseFolding {
    func takeRecordsInKeyOrder() -> [(String, P.Record)] {
        sortForAppend()
        var out: [(String, P.Record)] = []
        out.reserveCapacity(order.count)
        // Moved out, not copied: a copy would retain every array of every record.
        for r in order { out.append((String(decoding: slots.bytes(listSlots[Int(r)]), as: UTF8.self), (records + Int(r)).move())) }
        recordCount = 0
        return out
    }
}

extension DenseFolding: FoldedRecords {
    func recordsByStorageKey() -> [String: P.Record] {
        var out: [String: P.Record] = [:]
        out.reserveCapacity(recordCount)
        for r in 0..<recordCount { out[String(decoding: slots.bytes(listSlots[r]), as: UTF8.self)] = records[r] }
        return out
    }
}

extension ModelFold {
    /// Folds the events `query` yields (on this thread, in the order the query gives them) the
    /// way a rebuild does: in batches, each event told apart once, its customer interned in
    /// `slots` and its record prefetched a few events ahead. The log's mapped pages are let go
    /// as the scan moves on, as in a rebuild.
    func foldBatched(_ query: EventQuery, ledger: CustomerLedger) throws {
        let group = FoldGroup()
        group.folds = [self]
        let slots = CustomerSlots(capacity: 1 << 16)
        share(slots)
        let feed = FoldFeed(consumers: 0)
        var reader = FoldEventReader(catalog: ledger.catalog)
        let kinds = self.kinds, slotted = bySlot
        func fold(_ batch: FoldFeed.Batch) {
            let items = batch.items
            for i in 0..<batch.count where items[i].slot == -2 {
                items[i].slot = slots.slot(items[i].event.record.customerBytes, hash: items[i].hash)
            }
            group.fold(batch)
            feed.publish()
        }
        try ledger.ledger.scanRecords(query, releasingMappedPagesEvery: ProjectionStore.releaseMappedPagesEvery, { record in
            reader.visit(record, kinds: kinds) { e in
                var hash: UInt64 = 0, slot: Int32 = -1
                if slotted {
                    hash = CustomerSlots.hash(e.record.customerBytes)
                    slots.prefetch(hash: hash)
                    slot = -2
                }
                if let full = feed.push(e, slot: slot, hash: hash) { fold(full) }
            }
            return true
        }, finishing: {
            // Still inside the scan's transaction: the batch's events are views into the map.
            fold(feed.partial)
        })
    }
}
