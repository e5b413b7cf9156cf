import LMDB
#if canImport(Glibc)
import Glibc
#endif

/// The one thread that writes to the log: it gathers the events submitted by many callers
/// and commits them together, so that N small durable appends cost one fsync.
///
/// lmdb.h: "A transaction and its cursors must only be used by a single thread" and a write
/// transaction stays on the thread that began it; Swift tasks hop threads, so writes live here.
final class GroupCommitWriter: @unchecked Sendable {
    // @unchecked Sendable: `queue`, `stopping` and the counters are guarded by `mutex`.
    typealias Completion = @Sendable ([Result<AppendReceipt, AppendError>]) -> Void

    private struct Submission {
        let events: [NewEvent]
        let completion: Completion
    }

    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private let wake = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
    private var queue: [Submission] = []
    private var stopping = false
    private var running = false
    private var thread = pthread_t()
    private let maxEventsPerTransaction: Int
    private let releaseAfterCommit: Bool
    // unowned(unsafe): the ledger owns this writer and stops it (joins the thread) before it goes away.
    private unowned(unsafe) var ledger: Ledger?
    private var committedTransactions = 0
    private var committedEvents = 0
    private var lastCommit = CommitReport(events: 0, bytesWritten: nil)

    private let gathering: CommitGathering
    /// When the last commit ended (CLOCK_MONOTONIC, ns) and how many submissions it held (guarded by `mutex`).
    private var lastCommitEnd: UInt64 = 0
    private var lastCommitCallers = 0
    private var gatheringWaits = 0

    /// How many times a commit waited for company (`CommitGathering`).
    var waits: Int {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return gatheringWaits
    }

    init(maxEventsPerTransaction: Int, releaseAfterCommit: Bool = false, gathering: CommitGathering = .off) {
        self.maxEventsPerTransaction = max(1, maxEventsPerTransaction)
        self.releaseAfterCommit = releaseAfterCommit
        self.gathering = gathering
        pthread_mutex_init(mutex, nil)
        pthread_cond_init(wake, nil)
    }

    deinit {
        pthread_cond_destroy(wake)
        pthread_mutex_destroy(mutex)
        wake.deallocate()
        mutex.deallocate()
    }

    func start(ledger: Ledger) {
        self.ledger = ledger
        running = true
        let context = Unmanaged.passRetained(self).toOpaque()
        let rc = pthread_create(&thread, nil, { raw in
            let writer = Unmanaged<GroupCommitWriter>.fromOpaque(raw!).takeRetainedValue()
            GroupCommitWriter.nameThisThread("ledger-writer")
            writer.loop()
            return nil
        }, context)
        precondition(rc == 0, "could not start the ledger's writer thread (pthread_create: \(rc))")
    }

    /// Names the calling thread for `top -H`, perf and /proc (at most 15 bytes); otherwise the
    /// writer carries the name of whichever thread opened the ledger. Best effort: a system
    /// without /proc/thread-self keeps the inherited name. (pthread_setname_np and prctl are not
    /// reachable from Swift here: one needs _GNU_SOURCE, the other is variadic.)
    static func nameThisThread(_ name: String) {
        let fd = open("/proc/thread-self/comm", O_WRONLY)
        guard fd >= 0 else { return }
        defer { close(fd) }
        var bytes = Array(name.utf8.prefix(15))
        _ = write(fd, &bytes, bytes.count)
    }

    /// Queues `events`; `completion` runs on the writer thread with one result per event, in order.
    func submit(_ events: [NewEvent], completion: @escaping Completion) {
        pthread_mutex_lock(mutex)
        if stopping {
            pthread_mutex_unlock(mutex)
            completion(events.map { _ in .failure(.closed) })
            return
        }
        queue.append(Submission(events: events, completion: completion))
        pthread_cond_signal(wake)
        pthread_mutex_unlock(mutex)
    }

    /// Commits what is queued, then ends the thread and waits for it.
    func stop() {
        pthread_mutex_lock(mutex)
        let wasRunning = running && !stopping
        stopping = true
        pthread_cond_signal(wake)
        pthread_mutex_unlock(mutex)
        if wasRunning { pthread_join(thread, nil) }
    }

    /// Transactions and events committed so far.
    var counters: (transactions: Int, events: Int) {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return (committedTransactions, committedEvents)
    }

    /// What the last commit wrote.
    var last: CommitReport {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return lastCommit
    }

    /// Called with `mutex` held and a non-empty queue: should the next commit wait
    /// `gathering.waitNanoseconds` for more events first? Only while several callers keep appending (the
    /// last commit held two submissions or more and ended less than two waits ago: a lone caller
    /// appending one event after another never waits) and fewer than `gathering.below` events wait.
    private func shouldGather() -> Bool {
        guard !stopping else { return false }
        var pending = 0
        for submission in queue {
            pending += submission.events.count
            if pending >= gathering.below { break }
        }
        return gathering.waits(pending: pending, sinceLastCommit: Self.monotonicNanoseconds() &- lastCommitEnd,
                               lastCommitCallers: lastCommitCallers)
    }

    static func monotonicNanoseconds() -> UInt64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
    }

    /// The smallest commit whose written bytes are measured.
    static let measuredCommitSize = 256

    /// Bytes this process has handed to write(2) and its kind so far ("wchar" in /proc/self/io),
    /// nil where there is no such file. LMDB writes a transaction's changed pages, and nothing
    /// else, with pwrite at its commit (this wrapper does not use MDB_WRITEMAP), so the difference
    /// around a commit is the pages it changed (and a few bytes of whatever other threads wrote).
    static func bytesWrittenByProcess() -> Int? {
        let fd = open("/proc/self/io", O_RDONLY)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var buffer = (UInt64(0), UInt64(0), UInt64(0), UInt64(0), UInt64(0), UInt64(0), UInt64(0), UInt64(0),
                      UInt64(0), UInt64(0), UInt64(0), UInt64(0), UInt64(0), UInt64(0), UInt64(0), UInt64(0))
        return withUnsafeMutableBytes(of: &buffer) { (b: UnsafeMutableRawBufferPointer) -> Int? in
            let n = read(fd, b.baseAddress, b.count)
            guard n > 0 else { return nil }
            // "rchar: N\nwchar: N\n…"
            let text = UnsafeRawBufferPointer(rebasing: b[0..<n])
            var i = 0
            while i + 7 <= n {
                if text[i] == UInt8(ascii: "w") && text[i + 1] == UInt8(ascii: "c") && text[i + 5] == UInt8(ascii: ":") {
                    var j = i + 6, value = 0
                    while j < n && text[j] == UInt8(ascii: " ") { j += 1 }
                    while j < n, text[j] >= UInt8(ascii: "0"), text[j] <= UInt8(ascii: "9") {
                        value = value * 10 + Int(text[j] - UInt8(ascii: "0"))
                        j += 1
                    }
                    return value
                }
                while i < n && text[i] != 0x0A { i += 1 }
                i += 1
            }
            return nil
        }
    }

    private func loop() {
        while true {
            pthread_mutex_lock(mutex)
            while queue.isEmpty && !stopping { pthread_cond_wait(wake, mutex) }
            if queue.isEmpty {
                pthread_mutex_unlock(mutex)
                return
            }
            if shouldGather() {
                gatheringWaits += 1
                pthread_mutex_unlock(mutex)
                var pause = timespec(tv_sec: Int(gathering.waitNanoseconds / 1_000_000_000),
                                     tv_nsec: Int(gathering.waitNanoseconds % 1_000_000_000))
                nanosleep(&pause, nil)
                pthread_mutex_lock(mutex)
            }
            var taken = 0
            var count = 0
            while taken < queue.count && (count == 0 || count + queue[taken].events.count <= maxEventsPerTransaction) {
                count += queue[taken].events.count
                taken += 1
            }
            var batch = Array(queue[0..<taken])
            queue.removeFirst(taken)
            pthread_mutex_unlock(mutex)

            // One submission (a bulk load's transaction) goes as it is, not copied.
            var events: [NewEvent]
            if batch.count == 1 {
                events = batch[0].events
            } else {
                events = []
                events.reserveCapacity(count)
                for submission in batch { events.append(contentsOf: submission.events) }
            }
            // Bulk commits say what they wrote (ingest sizes its transactions by it); the service's
            // commits of a few events skip the two reads of /proc, a tenth of such a commit's syscalls.
            let measured = count >= Self.measuredCommitSize
            let before = measured ? Self.bytesWrittenByProcess() : nil
            let results = ledger!.commit(events)
            let after = measured ? Self.bytesWrittenByProcess() : nil
            events = []
            if releaseAfterCommit { ledger!.releaseMappedPages() }
            pthread_mutex_lock(mutex)
            lastCommitEnd = Self.monotonicNanoseconds()
            lastCommitCallers = batch.count
            committedTransactions += 1
            committedEvents += count
            lastCommit = CommitReport(events: count, bytesWritten: before.flatMap { b in after.map { $0 - b } })
            pthread_mutex_unlock(mutex)
            var offset = 0
            for submission in batch {
                let n = submission.events.count
                submission.completion(Array(results[offset..<(offset + n)]))
                offset += n
            }
            batch = []
            // A bulk load's events are made on another thread, whose malloc arena keeps their
            // memory once they are freed here; LMDB's pages come from this thread's arena. Hand
            // back the free pages of every arena, so that the two peaks do not add up in the
            // process's resident size.
            if releaseAfterCommit { Heap.releaseFreePages() }
        }
    }
}

/// What one commit of the group-commit writer did.
public struct CommitReport: Sendable, Hashable {
    /// Events in the transaction.
    public var events: Int
    /// Bytes the process wrote during the commit (LMDB's changed pages of the transaction), nil
    /// where the system does not say and for commits of fewer than 256 events (not measured).
    public var bytesWritten: Int?
}

/// How the group-commit writer gathers small commits while appends keep arriving
/// (`LedgerOptions.commitGathering`).
public struct CommitGathering: Sendable, Hashable {
    /// How long a small commit waits for more events. It sleeps the whole wait, without waking
    /// for each caller that arrives meanwhile (a wake-up per append is what it saves); `stop()`
    /// waits for it too.
    public var waitNanoseconds: UInt64
    /// A commit that finds at least this many events waiting goes at once.
    public var below: Int

    /// Wait `microseconds` when fewer than `below` events wait and the last commit ended less
    /// than two such waits ago.
    public init(microseconds: Int, below: Int) {
        waitNanoseconds = UInt64(max(0, microseconds)) * 1_000
        self.below = below
    }

    /// Every commit goes at once.
    public static let off = CommitGathering(microseconds: 0, below: 0)

    /// Does a commit with `pending` events waiting wait first, `sinceLastCommit` ns after the last
    /// commit, which held `lastCommitCallers` submissions?
    public func waits(pending: Int, sinceLastCommit: UInt64, lastCommitCallers: Int) -> Bool {
        waitNanoseconds > 0 && pending < below && lastCommitCallers >= 2 && sinceLastCommit < 2 * waitNanoseconds
    }
}
