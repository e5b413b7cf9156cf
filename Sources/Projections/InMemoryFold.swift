import CustomerEvents
import Ledger

/// A read model folded in memory from events fed one by one, apart from any stored state: for
/// views as of a past point and for analysts' replays with other parameters.
public struct InMemoryFold<P: KeyedProjector> {
    public let projector: P
    /// The records so far, by the projector's key.
    public private(set) var byKey: [P.Key: P.Record] = [:]
    private var reader: FoldEventReader

    public init(_ projector: P, catalog: SchemaCatalog = .builtIn) {
        self.projector = projector
        reader = FoldEventReader(catalog: catalog)
    }

    /// Folds one stored event in, when the projector reads its type.
    public mutating func apply(_ record: EventRecord) {
        let projector = self.projector
        var records = byKey
        byKey = [:]
        reader.visit(record, kinds: projector.eventKinds) { e in
            guard let key = projector.key(for: e) else { return }
            projector.apply(&records[key, default: projector.initial(key: key)], e)
        }
        byKey = records
    }

    /// The records so far, by their storage key (the customer id for customer-keyed models).
    public var records: [String: P.Record] {
        var out: [String: P.Record] = [:]
        out.reserveCapacity(byKey.count)
        for (k, v) in byKey { out[projector.storageKey(k)] = v }
        return out
    }

    /// The query that yields the events a model as of `point` folds, in the order it folds them:
    /// by sequence number, the log up to it (recorded order; a model that folds in business-time
    /// order, `KeyedProjector.foldsInBusinessOrder`, puts each record's events in that order); by
    /// time, the events that occurred by then in the order they occurred. Nil for sequence 0 (nothing).
    public static func query(asOf point: AsOf?) -> EventQuery? {
        switch point {
        case nil: return .all()
        case .sequence(0)?: return nil
        case .sequence(let n)?: return .all(from: 1, through: n)
        case .time(let t)?: return .occurred(from: Timestamp(microseconds: .min / 2), until: Timestamp(microseconds: t.microseconds + 1))
        }
    }

    /// The events `query` yields folded as a rebuild folds them, for the projectors whose rebuild
    /// fold can hand its records out (nil for the others).
    private static func foldedAsRebuild(_ projector: P, query: EventQuery, ledger: CustomerLedger) throws -> (any FoldedRecords<P.Record>)? {
        let fold = ProjectionStore.makeRebuildFold(projector)
        guard let folded = fold as? any FoldedRecords<P.Record> else { return nil }
        try ProjectionStore.fold(ProjectionStore.asOfGroups(fold), query: query, ledger: ledger, storingIn: nil)
        return folded
    }

    /// `projector`'s records as of `point` with their storage keys, in key order: what ranking
    /// every customer (`Segmentation.assign`) reads, without a sort of a million large values.
    public static func foldInKeyOrder(_ projector: P, ledger: CustomerLedger, asOf point: AsOf?) throws -> [(String, P.Record)] {
        guard let query = query(asOf: point) else { return [] }
        if let folded = try foldedAsRebuild(projector, query: query, ledger: ledger) { return folded.takeRecordsInKeyOrder() }
        return try fold(projector, ledger: ledger, asOf: point).sorted { a, b in a.key.utf8.lexicographicallyPrecedes(b.key.utf8) }.map { ($0.key, $0.value) }
    }

    /// `projector`'s records as of `point` (the whole log when nil), folded from `ledger`.
    ///
    /// The stored models' projectors are folded as a rebuild folds them
    /// (`ProjectionStore.fold(_:query:ledger:storingIn:)`: the scan on one thread, the fold on
    /// another, customers by slot, records prefetched), the others event by event; both give the
    /// same records.
    public static func fold(_ projector: P, ledger: CustomerLedger, asOf point: AsOf?) throws -> [String: P.Record] {
        guard let query = query(asOf: point) else { return [:] }
        if let folded = try foldedAsRebuild(projector, query: query, ledger: ledger) { return folded.takeRecordsByStorageKey() }
        var fold = InMemoryFold(projector, catalog: ledger.catalog)
        try ledger.ledger.scanRecords(query) { record in
            fold.apply(record)
            return true
        }
        return fold.records
    }
}
