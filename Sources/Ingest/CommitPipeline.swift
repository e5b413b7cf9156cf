import CustomerEvents
import Dispatch
import Ledger
import Synchronization

/// The two stages behind the reader. A sealing thread seals the personal fields of each chunk of
/// checked events and encodes their payloads, gathering the results into a transaction of as many
/// events as `sizing` allows for the ledger's size, which it hands to the ledger's writer thread
/// without waiting for the commit; it then gathers the next while that one commits.
///
/// Chunks are small (their events still hold JSON trees, the bulk of the memory), transactions
/// large: each random-key index page (by customer, and by source for ids without order) is
/// rewritten once per transaction however many of its keys change, so large transactions write
/// far less. Their size follows the pages the last commits wrote (`TransactionSizing`). At most
/// two chunks wait to be sealed and one transaction to be committed, so memory is bounded by the
/// transaction size.
///
/// Everything keeps its order (a customer's registration is committed before their purchases),
/// and a transaction is one submission, which the group-commit writer never splits: a
/// transaction, and so each receipt in it, is committed whole or not at all.
final class CommitPipeline: @unchecked Sendable {
    // @unchecked Sendable: `pending` and `pendingRoles` are touched only on the serial `sealing`
    // queue; the tallies are in a Mutex; the rest is immutable or a semaphore.

    /// What the committed transactions did.
    struct Tally: Sendable {
        var eventsAppended = 0
        var duplicatesSkipped = 0
        var receiptsRecorded = 0
        var receiptsAlreadyPresent = 0
        var customersRegistered = 0
        var customersAlreadyKnown = 0
        var erasedCustomers = 0
        /// Receipts whose id this file had recorded already in this run (`receiptsRepeated`), and
        /// the first few of their ids.
        var receiptsRepeated = 0
        var repeatedReceipts: [String] = []
        /// The log's head when the file being read began: a duplicate of an event after it was
        /// appended from the same file.
        var fileStart: UInt64 = 0
        /// The first failure other than a known customer's registration: it stops the ingest.
        var failure: String?
    }

    private let ledger: CustomerLedger
    /// Learns from each commit the pages it wrote (written on the writer thread, read on the sealing thread).
    private let sizing: Mutex<TransactionSizing>
    /// Events in the ledger, as of the last commit (sealing thread).
    private var ledgerEvents: Int
    /// The size of the transaction being gathered (sealing thread).
    private var limit: Int
    private let sealing = DispatchQueue(label: "clientele.ingest.seal")
    private let sealSlots = DispatchSemaphore(value: 2)
    private let commitSlot = DispatchSemaphore(value: 1)
    private let tally = Mutex(Tally())
    private var pending: [NewEvent] = []
    private var pendingRoles: [PlannedEvent.Role] = []

    /// A pipeline into `ledger`, whose head is `head` now.
    init(ledger: CustomerLedger, sizing: TransactionSizing, head: UInt64) {
        self.ledger = ledger
        self.sizing = Mutex(sizing)
        ledgerEvents = Int(head)
        limit = sizing.limit(ledgerEvents: ledgerEvents)
        tally.withLock { $0.fileStart = head }
    }

    /// Before the events of another file: commits what was gathered, waits for it, and notes the
    /// log's head, so that a receipt of the new file is told apart from the same receipt in an
    /// earlier file (already there) or earlier in the same file (repeated).
    func startFile() throws(IngestError) {
        sealing.sync { if current.failure == nil { commitPending() } }
        commitSlot.wait()
        commitSlot.signal()
        let head: UInt64
        do { head = try ledger.ledger.head().sequence } catch { throw .ledger(error.description) }
        tally.withLock { $0.fileStart = head }
    }

    /// Queues a chunk of checked events, whose roles are `roles` (same order); blocks while two
    /// chunks wait to be sealed.
    func submit(_ checked: [CheckedEvent], roles: [PlannedEvent.Role]) {
        guard !checked.isEmpty else { return }
        sealSlots.wait()
        sealing.async {
            self.seal(checked, roles: roles)
            self.sealSlots.signal()
        }
    }

    /// On the sealing thread: seals a chunk into the transaction being gathered, and hands that to
    /// the writer once it is large enough.
    private func seal(_ checked: [CheckedEvent], roles: [PlannedEvent.Role]) {
        if current.failure != nil { return }
        let sealed = ledger.seal(checked)
        if pending.isEmpty {
            pending.reserveCapacity(limit + checked.count)
            pendingRoles.reserveCapacity(limit + checked.count)
        }
        var erased = 0
        for (i, result) in sealed.enumerated() {
            switch result {
            case .success(let event):
                pending.append(event)
                pendingRoles.append(roles[i])
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
        if pending.count >= limit { commitPending() }
    }

    /// On the sealing thread: hands the gathered transaction to the writer (waiting while the
    /// previous one commits).
    private func commitPending() {
        guard !pending.isEmpty else { return }
        let events = pending, roles = pendingRoles
        pending = []
        pendingRoles = []
        // The next transaction is sized for the ledger as it will be after this one.
        ledgerEvents += events.count
        limit = sizing.withLock { $0.limit(ledgerEvents: ledgerEvents) }
        commitSlot.wait()
        ledger.ledger.submit(events) { results in
            // The writer thread, right after the commit: what it wrote sizes the transactions to come.
            let commit = self.ledger.ledger.lastCommit
            if let written = commit.bytesWritten { self.sizing.withLock { $0.observe(events: commit.events, bytesWritten: written) } }
            self.tally.withLock { t in
                for (i, (result, role)) in zip(results, roles).enumerated() { Self.count(result, role, of: events[i], into: &t) }
            }
            self.commitSlot.signal()
        }
    }

    private static func count(_ result: Result<AppendReceipt, AppendError>, _ role: PlannedEvent.Role, of event: NewEvent, into t: inout Tally) {
        switch (result, role) {
        case (.success(let r), .registration):
            if r.duplicate { t.duplicatesSkipped += 1 } else { t.eventsAppended += 1; t.customersRegistered += 1 }
        case (.success(let r), _):
            if r.duplicate && r.sequence > t.fileStart {
                // Recorded from this very file: the same receipt id again, after other receipts'
                // rows (a receipt whose rows are apart), which the ledger would take for the first.
                t.receiptsRepeated += 1
                if t.repeatedReceipts.count < 5, let id = event.source?.externalId { t.repeatedReceipts.append(id) }
            } else if r.duplicate {
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

    /// The tallies so far (what is still being sealed or committed not included).
    var current: Tally { tally.withLock { $0 } }

    /// Commits what was gathered, waits until everything is committed, and gives the tallies.
    func finish() -> Tally {
        sealing.sync { if current.failure == nil { commitPending() } }
        commitSlot.wait()
        commitSlot.signal()
        return current
    }
}
