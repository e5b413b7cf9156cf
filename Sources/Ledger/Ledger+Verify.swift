import LMDB
#if canImport(Glibc)
import Glibc
#endif

/// What `Ledger.verify` found.
public struct VerificationReport: Sendable {
    /// Events checked.
    public var events: UInt64 = 0
    /// Index entries checked, across all indexes.
    public var indexEntries: Int = 0
    /// The last sequence number and its chain hash: publish these, and a later verify proves the
    /// log up to here is unchanged.
    public var headHash: ChainHash = .genesis
    /// The first event found wrong (damaged bytes, a broken link, a missing or stray index entry).
    public var firstBadSequence: UInt64?
    /// What was wrong, in words, first problem first (at most a few dozen).
    public var problems: [String] = []

    /// True when nothing was wrong.
    public var isSound: Bool { firstBadSequence == nil && problems.isEmpty }

    mutating func report(_ sequence: UInt64?, _ problem: String) {
        if let sequence { firstBadSequence = min(firstBadSequence ?? .max, sequence) }
        if problems.count < 50 { problems.append(problem) }
    }
}

extension Ledger {
    /// Walks the whole log in one snapshot and proves it sound: every event decodes, sequence
    /// numbers are gapless from 1, every chain link holds (SHA-256 of the previous hash and the
    /// event's bytes), and every index holds exactly the entries the events call for.
    ///
    /// - Complexity: O(n) in sequential passes; B-tree searches only when an index is found wrong.
    public func verify() throws(LedgerError) -> VerificationReport {
        try reading { txn, keys in try self.verify(in: txn, keys: keys) }
    }

    private func verify(in txn: borrowing Transaction, keys: borrowing KeyBuffer) throws -> VerificationReport {
        var report = VerificationReport()
        var random = SystemRandomNumberGenerator()
        let seedLow = random.next() as UInt64, seedHigh = random.next() as UInt64
        let indexes = [byCustomer, byType, byStore, byActor, byTime, bySource, byObserved]
        let indexed = try observationsIndexed(in: txn)
        let types = try observationTypes(in: txn)
        var expected = indexes.map { _ in IndexDigest(seedLow: seedLow, seedHigh: seedHigh) }
        var actual = expected
        var sequenceBE: UInt64 = 0
        let empty = UnsafeRawBufferPointer(start: nil, count: 0)

        // 1. The log: gapless, decodable, chained; and the index entries each event calls for.
        try txn.withCursor(log) { (cursor: inout Cursor) throws in
            var expectedSequence: UInt64 = 1
            var previous = ChainHash.genesis
            var entry = try cursor.first()
            entry?.prefetchValue()
            while let e = entry {
                defer { expectedSequence += 1 }
                let following = try cursor.next()
                following?.prefetchValue()
                defer { entry = following }
                guard e.key.count == 8 else {
                    report.report(expectedSequence, "a key of \(e.key.count) bytes stands where event \(expectedSequence) should be")
                    continue
                }
                let sequence = readBE64(e.key)
                if sequence != expectedSequence {
                    report.report(expectedSequence, "event \(expectedSequence) is missing: the log goes on at \(sequence)")
                    expectedSequence = sequence
                }
                guard let record = EventRecord(e.value) else {
                    report.report(sequence, "event \(sequence) is damaged: its field lengths do not add up to its size")
                    if e.value.count >= 32 {
                        previous = ChainHash(bytes: UnsafeRawBufferPointer(rebasing: e.value[(e.value.count - 32)...]))
                    }
                    continue
                }
                let stored = record.chainHash
                if record.sequence != sequence {
                    report.report(sequence, "event \(sequence) carries sequence number \(record.sequence) inside")
                }
                if ChainHash.link(previous: previous, event: record.envelope) != stored {
                    report.report(sequence, "event \(sequence) does not match its chain hash: its bytes or the hash were changed")
                }
                previous = stored
                report.events += 1
                report.headHash = stored
                sequenceBE = sequence.bigEndian
                let observation = Ledger.isUnstreamedObservation(bytes: record.typeBytes, sequence: sequence, in: types)
                withUnsafeBytes(of: &sequenceBE) { seqValue in
                    if observation {
                        if sequence <= indexed { expected[6].add(key: keys.nameKey(record.customerBytes, sequence: sequence), value: empty) }
                    } else {
                        expected[0].add(key: keys.customerKey(record.customerBytes, version: record.streamVersion), value: seqValue)
                    }
                    expected[1].add(key: keys.nameKey(record.typeBytes, sequence: sequence), value: empty)
                    expected[2].add(key: keys.nameKey(record.storeBytes, sequence: sequence), value: empty)
                    expected[3].add(key: keys.nameKey(record.actorBytes, sequence: sequence), value: empty)
                    expected[4].add(key: keys.timeKey(record.occurredAt.microseconds, sequence: sequence), value: empty)
                    if record.hasSource {
                        expected[5].add(key: keys.sourceKey(record.sourceBytes, record.externalIdBytes), value: seqValue)
                    }
                }
            }
        }

        // 2. The indexes as they are, each in one sequential pass; by_customer also proves
        //    each stream's versions run 1, 2, 3… with rising sequence numbers.
        for (i, db) in indexes.enumerated() {
            try txn.withCursor(db) { (cursor: inout Cursor) throws in
                var lastPrefix: [UInt8] = []
                var lastVersion: UInt32 = 0
                var lastSequence: UInt64 = 0
                var entry = try cursor.first()
                while let e = entry {
                    actual[i].add(key: e.key, value: e.value)
                    if db == byCustomer, e.key.count >= 5, e.value.count == 8 {
                        let prefixLength = e.key.count - 4
                        let version = readBE32(e.key, at: prefixLength)
                        let sequence = readBE64(e.value)
                        let samePrefix = lastPrefix.count == prefixLength
                            && lastPrefix.withUnsafeBytes { memcmp($0.baseAddress!, e.key.baseAddress!, prefixLength) == 0 }
                        if samePrefix {
                            if version != lastVersion + 1 || sequence <= lastSequence {
                                report.report(sequence, "customer stream breaks at event \(sequence): version \(version) follows version \(lastVersion)")
                            }
                        } else {
                            lastPrefix = [UInt8](UnsafeRawBufferPointer(rebasing: e.key[0..<prefixLength]))
                            if version != 1 {
                                report.report(sequence, "customer stream starts at version \(version) (event \(sequence)), not 1")
                            }
                        }
                        lastVersion = version
                        lastSequence = sequence
                    }
                    entry = try cursor.next()
                }
            }
            report.indexEntries += actual[i].count
        }

        // 3. Where an index differs, find the first event it is wrong about.
        for (i, db) in indexes.enumerated() where expected[i] != actual[i] {
            let bad = try firstMismatch(in: db, index: i, indexed: indexed, types: types, txn: txn, keys: keys)
            report.report(bad, "index '\(db.name)' holds \(actual[i].count) entries where the events call for \(expected[i].count)"
                + (bad.map { "; the first event it is wrong about is \($0)" } ?? ""))
        }
        return report
    }

    /// The entries index `i` should hold for `record`: by_customer none for an observation past
    /// its type's `from`, by_observed one for each of those through `indexed`.
    private func expectedEntries(_ record: EventRecord, index i: Int, indexed: UInt64, types: [ObservationType],
                                 keys: borrowing KeyBuffer) -> (key: [UInt8], value: [UInt8])? {
        let sequence = record.sequence
        var be = sequence.bigEndian
        let seqValue = withUnsafeBytes(of: &be) { [UInt8]($0) }
        let observation = Ledger.isUnstreamedObservation(bytes: record.typeBytes, sequence: sequence, in: types)
        switch i {
        case 0: return observation ? nil : ([UInt8](keys.customerKey(record.customerBytes, version: record.streamVersion)), seqValue)
        case 6: return observation && sequence <= indexed ? ([UInt8](keys.nameKey(record.customerBytes, sequence: sequence)), []) : nil
        case 1: return ([UInt8](keys.nameKey(record.typeBytes, sequence: sequence)), [])
        case 2: return ([UInt8](keys.nameKey(record.storeBytes, sequence: sequence)), [])
        case 3: return ([UInt8](keys.nameKey(record.actorBytes, sequence: sequence)), [])
        case 4: return ([UInt8](keys.timeKey(record.occurredAt.microseconds, sequence: sequence)), [])
        default: return record.hasSource ? ([UInt8](keys.sourceKey(record.sourceBytes, record.externalIdBytes)), seqValue) : nil
        }
    }

    /// The slow path: the lowest sequence number that index `i` misses, misstates, or wrongly holds.
    private func firstMismatch(in db: Database, index i: Int, indexed: UInt64, types: [ObservationType],
                               txn: borrowing Transaction, keys: borrowing KeyBuffer) throws -> UInt64? {
        var first: UInt64?
        // Entries the events call for that are missing or wrong.
        try txn.withCursor(log) { (cursor: inout Cursor) throws in
            var entry = try cursor.first()
            while let e = entry, first == nil {
                if let record = EventRecord(e.value), let want = expectedEntries(record, index: i, indexed: indexed, types: types, keys: keys) {
                    let got = try want.key.withUnsafeBytes { k in try txn.get(db, key: k).map { [UInt8]($0) } }
                    if got != want.value { first = record.sequence }
                }
                entry = try cursor.next()
            }
        }
        // Entries no event calls for (a changed or added key): the event they name.
        try txn.withCursor(db) { (cursor: inout Cursor) throws in
            var entry = try cursor.first()
            while let e = entry {
                let named: UInt64?
                switch i {
                case 0, 5: named = e.value.count == 8 ? readBE64(e.value) : nil
                default: named = e.key.count >= 8 ? readBE64(e.key, at: e.key.count - 8) : nil
                }
                var stray = true
                if let named, let value = try txn.get(log, key: keys.sequenceKey(named)), let record = EventRecord(value),
                   let want = expectedEntries(record, index: i, indexed: indexed, types: types, keys: keys) {
                    stray = !(want.key.elementsEqual(e.key) && want.value.elementsEqual(e.value))
                }
                if stray, let named { first = min(first ?? .max, named) }
                entry = try cursor.next()
            }
        }
        return first
    }
}
