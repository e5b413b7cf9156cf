import LMDB
import Dispatch
#if canImport(Glibc)
import Glibc
#endif

/// Runs a piece of work on the thread an awaiting appender wants to continue on (an event
/// loop's `execute`, say). The group-commit writer calls it once its events are durable.
public typealias Resumption = @Sendable (@escaping @Sendable () -> Void) -> Void

extension Ledger {
    /// Appends one event durably and returns its place in the log.
    ///
    /// - Throws: `AppendError` — invalid fields, a version conflict, or a failed commit.
    public func append(_ event: NewEvent) async throws(AppendError) -> AppendReceipt {
        try await append([event])[0].get()
    }

    /// Appends events in order, with one result each: an event that fails does not stop the others.
    ///
    /// They are committed in one transaction together with other callers' pending events.
    ///
    /// The caller continues on the writer thread's choice of executor, unless it names where to
    /// continue with `resumingOn`: a server passes its connection's event loop, so that the
    /// response is written from the thread that owns the socket instead of being handed over to it.
    public func append(_ events: [NewEvent], resumingOn resumption: Resumption? = nil) async -> [Result<AppendReceipt, AppendError>] {
        await withCheckedContinuation { continuation in
            submitChecked(events) { results in
                guard let resumption else { return continuation.resume(returning: results) }
                resumption { continuation.resume(returning: results) }
            }
        }
    }

    /// Appends events and blocks the calling thread until they are durable.
    ///
    /// For command-line tools and benchmarks; from async code use `append(_:) async`.
    public func appendAndWait(_ events: [NewEvent]) -> [Result<AppendReceipt, AppendError>] {
        let done = DispatchSemaphore(value: 0)
        let box = ResultBox()
        submitChecked(events) { results in
            box.results = results
            done.signal()
        }
        done.wait()
        return box.results
    }

    /// Hands events to the writer without waiting: `completion` runs on the writer thread with one
    /// result per event, in order, once they are durable. For pipelines that prepare the next batch
    /// while this one commits; bound the batches in flight yourself.
    public func submit(_ events: [NewEvent], completion: @escaping @Sendable ([Result<AppendReceipt, AppendError>]) -> Void) {
        submitChecked(events, completion: completion)
    }

    /// Checks each event, then hands the valid ones to the writer; results keep the input order.
    func submitChecked(_ events: [NewEvent], completion: @escaping GroupCommitWriter.Completion) {
        var invalid: [(Int, AppendError)] = []
        for (i, event) in events.enumerated() {
            if let error = event.validate() { invalid.append((i, error)) }
        }
        if invalid.isEmpty {
            writer.submit(events, completion: completion)
            return
        }
        var valid: [NewEvent] = []
        valid.reserveCapacity(events.count - invalid.count)
        var next = 0
        for (i, event) in events.enumerated() {
            if next < invalid.count && invalid[next].0 == i { next += 1 } else { valid.append(event) }
        }
        let count = events.count
        let errors = invalid
        writer.submit(valid) { committed in
            var merged: [Result<AppendReceipt, AppendError>] = []
            merged.reserveCapacity(count)
            var c = 0, e = 0
            for i in 0..<count {
                if e < errors.count && errors[e].0 == i {
                    merged.append(.failure(errors[e].1)); e += 1
                } else {
                    merged.append(committed[c]); c += 1
                }
            }
            completion(merged)
        }
    }

    /// Writes a batch in one transaction, on the writer thread. Storage failures fail the whole batch.
    func commit(_ events: [NewEvent]) -> [Result<AppendReceipt, AppendError>] {
        if events.isEmpty { return [] }
        do {
            return try environment.write { (txn: borrowing Transaction) throws -> [Result<AppendReceipt, AppendError>] in
                try self.write(events, in: txn)
            }
        } catch {
            let text = "\(error)"
            return events.map { _ in .failure(.storage(text)) }
        }
    }

    /// The body of a write transaction: runs again from the start if the map had to grow.
    private func write(_ events: [NewEvent], in txn: borrowing Transaction) throws -> [Result<AppendReceipt, AppendError>] {
        let keys = KeyBuffer()
        let recordedAt = Timestamp.now()
        var results: [Result<AppendReceipt, AppendError>] = []
        results.reserveCapacity(events.count)
        var (lastSequence, previousHash) = try head(in: txn, keys: keys)
        let observationTypes = try observationTypes(in: txn)
        let empty = UnsafeRawBufferPointer(start: nil, count: 0)

        try txn.withCursor(byCustomer) { (customers: inout Cursor) throws in
            for (i, event) in events.enumerated() {
                // Keep this process's share of the map small during a long transaction (see LedgerOptions).
                if releaseEvery > 0 && i > 0 && i % releaseEvery == 0 { txn.releaseMappedPages() }
                let sequence = lastSequence + 1
                var sequenceBE = sequence.bigEndian
                // Idempotency first: a retried append whose original went through must come back
                // as a duplicate, not as a version conflict.
                var claimedSource = false
                if let source = event.source {
                    let key = keys.sourceKey(source)
                    let existing = try withUnsafeBytes(of: &sequenceBE) { (v) throws(LMDBError) in
                        try txn.insertIfAbsent(bySource, key: key, value: v)
                    }
                    if let existing {
                        let found = readBE64(existing)
                        guard let stored = try storedEvent(found, in: txn, keys: keys), stored.matches(source) else {
                            // Two different references with the same 128-bit key: refuse rather than drop.
                            results.append(.failure(.invalid(field: "externalId", reason: "collides in the source index with event \(found); give it another id")))
                            continue
                        }
                        results.append(.success(AppendReceipt(sequence: found, streamVersion: stored.streamVersion, duplicate: true)))
                        continue
                    }
                    claimedSource = true
                }
                let current = try currentVersion(of: event.customer, cursor: &customers, keys: keys)
                guard try admits(event.expectedVersion, current: current, customer: event.customer, observationTypes: observationTypes,
                                 in: txn, keys: keys) else {
                    if claimedSource { try txn.delete(bySource, key: keys.sourceKey(event.source!)) }
                    results.append(.failure(.versionConflict(customer: event.customer, expected: event.expectedVersion, actual: current)))
                    continue
                }
                // An observation carries the version it observed and takes no stream position:
                // no by_customer entry, so it dirties no random page of that index (by_observed
                // files it later, in batches).
                let observing = Ledger.isObservation(event.type, in: observationTypes)
                let version = observing ? current : current + 1
                let size = EventEnvelope.size(of: event)
                var hash = ChainHash.genesis
                let previous = previousHash
                try txn.putReserving(log, key: keys.sequenceKey(sequence), size: size + EventEnvelope.hashSize, flags: .append) { out in
                    EventEnvelope.encode(event, sequence: sequence, streamVersion: version, recordedAt: recordedAt, into: out)
                    hash = ChainHash.link(previous: previous, event: UnsafeRawBufferPointer(rebasing: out[0..<size]))
                    hash.store(into: UnsafeMutableRawBufferPointer(rebasing: out[size...]))
                }
                // The cursor still stands by the customer's last entry: the put searches that page only.
                if !observing {
                    try withUnsafeBytes(of: &sequenceBE) { (v) throws(LMDBError) in
                        try customers.put(key: keys.customerKey(event.customer, version: version), value: v)
                    }
                }
                try txn.put(byType, key: keys.nameKey(event.type, sequence: sequence), value: empty)
                try txn.put(byStore, key: keys.nameKey(event.store, sequence: sequence), value: empty)
                try txn.put(byActor, key: keys.nameKey(event.actor, sequence: sequence), value: empty)
                try txn.put(byTime, key: keys.timeKey(event.occurredAt.microseconds, sequence: sequence), value: empty)
                previousHash = hash
                lastSequence = sequence
                results.append(.success(AppendReceipt(sequence: sequence, streamVersion: version, duplicate: false)))
            }
        }
        return results
    }

    /// The last sequence number and its chain hash (0 and the genesis hash for an empty log).
    func head(in txn: borrowing Transaction, keys: borrowing KeyBuffer) throws -> (UInt64, ChainHash) {
        try txn.withCursor(log) { (cursor: inout Cursor) throws -> (UInt64, ChainHash) in
            guard let last = try cursor.last() else { return (0, .genesis) }
            guard last.key.count == 8, let record = EventRecord(last.value) else {
                throw LMDBError(code: -30_796, context: "reading the last event of the log: it is damaged; run `clientele verify`")
            }
            return (readBE64(last.key), record.chainHash)
        }
    }

    /// The version of the customer's last event (0 when it has none), via the by_customer index.
    func currentVersion(of customer: String, cursor: inout Cursor, keys: borrowing KeyBuffer) throws(LMDBError) -> UInt32 {
        let probe = keys.customerKey(customer, version: .max)
        let prefixLength = probe.count - 4
        let candidate: Entry?
        if try cursor.seek(atOrAfter: probe) != nil {
            candidate = try cursor.previous()
        } else {
            candidate = try cursor.last()
        }
        guard let entry = candidate, entry.key.count == prefixLength + 4,
              memcmp(entry.key.baseAddress!, probe.baseAddress!, prefixLength) == 0 else { return 0 }
        return readBE32(entry.key, at: prefixLength)
    }

    /// Whether an append expecting `expected` may go on a stream at `current`: exactly as
    /// `ExpectedVersion.admits`, or, when the events after the expected version are all
    /// observations (`LedgerOptions.observationTypes`), as if they were not there. Observations
    /// appended in format 3 have no stream position; this covers those an earlier format gave one.
    func admits(_ expected: ExpectedVersion, current: UInt32, customer: String, observationTypes: [ObservationType],
                in txn: borrowing Transaction, keys: borrowing KeyBuffer) throws(LMDBError) -> Bool {
        if expected.admits(current) { return true }
        guard !observationTypes.isEmpty else { return false }
        let since: UInt32
        switch expected {
        case .any: return true
        case .noStream: since = 0
        case .exactly(let v): since = v
        }
        guard since < current else { return false }
        for position in (since + 1)...current {
            guard let value = try txn.get(byCustomer, key: keys.customerKey(customer, version: position)), value.count == 8,
                  let record = try storedEvent(readBE64(value), in: txn, keys: keys) else { return false }
            if !Ledger.isObservation(bytes: record.typeBytes, in: observationTypes) { return false }
        }
        return true
    }

    func storedEvent(_ sequence: UInt64, in txn: borrowing Transaction, keys: borrowing KeyBuffer) throws(LMDBError) -> EventRecord? {
        try txn.get(log, key: keys.sequenceKey(sequence)).flatMap { EventRecord($0) }
    }
}

/// Carries results from the writer thread to a thread blocked in `appendAndWait`.
private final class ResultBox: @unchecked Sendable {
    // @unchecked Sendable: written once before the semaphore is signalled, read after it is waited on.
    var results: [Result<AppendReceipt, AppendError>] = []
}
