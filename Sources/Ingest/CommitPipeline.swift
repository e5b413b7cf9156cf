import CustomerEvents
import Dispatch
import Ledger
import Synchronization

/// The two stages behind the reader: a sealing thread seals the personal fields of each batch and
/// encodes its payloads, then hands it to the ledger's writer thread without waiting for the
/// commit. At most `depth` batches wait at each stage, so reading and checking the next batch
/// overlaps sealing the one before and committing the one before that, in bounded memory.
///
/// Batches keep their order through both stages (a customer's registration is committed before
/// their purchases), and each batch is one submission, which the group-commit writer never splits:
/// a batch, and so each receipt in it, is committed whole or not at all.
final class CommitPipeline: Sendable {
    /// What the committed batches did.
    struct Tally: Sendable {
        var eventsAppended = 0
        var duplicatesSkipped = 0
        var receiptsRecorded = 0
        var receiptsAlreadyPresent = 0
        var customersRegistered = 0
        var customersAlreadyKnown = 0
        var erasedCustomers = 0
        /// The first failure other than a known customer's registration: it stops the ingest.
        var failure: String?
    }

    private let ledger: CustomerLedger
    private let depth: Int
    private let sealing = DispatchQueue(label: "clientele.ingest.seal")
    private let sealSlots: DispatchSemaphore
    private let commitSlots: DispatchSemaphore
    private let tally = Mutex(Tally())

    init(ledger: CustomerLedger, depth: Int) {
        self.ledger = ledger
        self.depth = max(1, depth)
        sealSlots = DispatchSemaphore(value: self.depth)
        commitSlots = DispatchSemaphore(value: self.depth)
    }

    /// Queues a batch of checked events, whose roles are `roles` (same order); blocks while
    /// `depth` batches wait to be sealed.
    func submit(_ checked: [CheckedEvent], roles: [PlannedEvent.Role]) {
        guard !checked.isEmpty else { return }
        sealSlots.wait()
        sealing.async {
            self.seal(checked, roles: roles)
            self.sealSlots.signal()
        }
    }

    /// On the sealing thread: seals, then hands the batch to the writer (blocking while `depth`
    /// batches wait for it).
    private func seal(_ checked: [CheckedEvent], roles: [PlannedEvent.Role]) {
        if current.failure != nil { return }
        let sealed = ledger.seal(checked)
        var events: [NewEvent] = []
        var kept: [PlannedEvent.Role] = []
        events.reserveCapacity(sealed.count)
        kept.reserveCapacity(sealed.count)
        var erased = 0
        for (i, result) in sealed.enumerated() {
            switch result {
            case .success(let event):
                events.append(event)
                kept.append(roles[i])
            case .failure(let error):
                // Only registrations carry personal data. An erased customer's cannot be sealed
                // (no new personal data under that id): their receipts are still recorded.
                guard roles[i] == .registration, case .erased? = try? ledger.keys.key(for: checked[i].event.customer) else {
                    tally.withLock { $0.failure = $0.failure ?? "sealing personal data: \(error)" }
                    return
                }
                erased += 1
            }
        }
        if erased > 0 { tally.withLock { $0.erasedCustomers += erased } }
        commitSlots.wait()
        let committedRoles = kept
        ledger.ledger.submit(events) { results in
            self.tally.withLock { t in
                for (result, role) in zip(results, committedRoles) { Self.count(result, role, into: &t) }
            }
            self.commitSlots.signal()
        }
    }

    private static func count(_ result: Result<AppendReceipt, AppendError>, _ role: PlannedEvent.Role, into t: inout Tally) {
        switch (result, role) {
        case (.success(let r), .registration):
            if r.duplicate { t.duplicatesSkipped += 1 } else { t.eventsAppended += 1; t.customersRegistered += 1 }
        case (.success(let r), _):
            if r.duplicate {
                t.duplicatesSkipped += 1; t.receiptsAlreadyPresent += 1
            } else {
                t.eventsAppended += 1; t.receiptsRecorded += 1
            }
        case (.failure(.versionConflict), .registration):
            // The customer already has events (registered at a counter, or in another system's export).
            t.customersAlreadyKnown += 1
        case (.failure(let error), _):
            t.failure = t.failure ?? error.description
        }
    }

    /// The tallies so far (batches still in flight not included).
    var current: Tally { tally.withLock { $0 } }

    /// Waits until every submitted batch is sealed and committed, then gives the tallies.
    func finish() -> Tally {
        sealing.sync {}
        for _ in 0..<depth { commitSlots.wait() }
        for _ in 0..<depth { commitSlots.signal() }
        return current
    }
}
