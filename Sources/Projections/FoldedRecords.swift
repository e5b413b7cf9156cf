import CustomerEvents
import Ledger

/// A fold whose records can be handed out by storage key once it is done: how a model folded in
/// memory as of a past point (`InMemoryFold.fold`) gets the rebuild's fold.
protocol FoldedRecords<Record> {
    associatedtype Record
    /// Every record folded, by its storage key; the fold gives its records up.
    func takeRecordsByStorageKey() -> [String: Record]
    /// Every record folded with its storage key, in key order (byte order); the fold gives its
    /// records up.
    func takeRecordsInKeyOrder() -> [(String, Record)]
}

extension Folding: FoldedRecords {
    func takeRecordsByStorageKey() -> [String: P.Record] {
        var out: [String: P.Record] = [:]
        out.reserveCapacity(records.count)
        for (k, v) in records { out[projector.storageKey(k)] = v }
        records = [:]
        return out
    }

    func takeRecordsInKeyOrder() -> [(String, P.Record)] {
        var out = records.map { (projector.storageKey($0.key), $0.value) }
        records = [:]
        out.sort { a, b in a.0.utf8.lexicographicallyPrecedes(b.0.utf8) }
        return out
    }
}

extension DenseFolding: FoldedRecords {
    // Both move the records out (a copy would retain every array of every record).
    func takeRecordsByStorageKey() -> [String: P.Record] {
        var out: [String: P.Record] = [:]
        out.reserveCapacity(listSlots.count)
        for s in listSlots { out[String(decoding: slots.bytes(s), as: UTF8.self)] = (records + Int(s)).move() }
        forgetRecords()
        return out
    }

    func takeRecordsInKeyOrder() -> [(String, P.Record)] {
        sortForAppend()
        var out: [(String, P.Record)] = []
        out.reserveCapacity(order.count)
        for s in order { out.append((String(decoding: slots.bytes(s), as: UTF8.self), (records + Int(s)).move())) }
        forgetRecords()
        return out
    }

    /// After the records were moved out: none is left to deinitialize.
    private func forgetRecords() {
        for s in listSlots { present[Int(s)] = 0 }
        listSlots = []
        order = []
    }
}
