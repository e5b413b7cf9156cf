import Dispatch
import LMDB
import Synchronization

/// The writing phase of a rebuild, shared by its folding threads. Each thread sorts its own
/// group's models once it has folded them; then, once every thread has, they take the models'
/// batches of records in turn, whichever comes next, and encode them side by side (encoding is
/// most of the writing: for a million customers' models, ~1.2 s of the two threads against
/// ~0.85 s of LMDB's writes, one batch after another, measured at 06f9fdc).
/// Each model's batches are written in key order, one after the other whichever thread encoded
/// them, the first one clearing the idle slot and the last one flipping the checkpoint. Before,
/// each thread wrote its own group's models: at a million customers, one thread then wrote alone
/// for the last second of the rebuild.
///
/// `@unchecked Sendable`: the shared state is behind a mutex; a model's records are read by the
/// thread encoding a batch of them, after every thread has finished folding and sorting (the
/// barrier); the records are freed after the writing phase (`ProjectionStore.fold`), so that
/// freeing a model's records never takes a core from the encoding of another's.
final class ModelWriting: @unchecked Sendable {
    /// One batch of one model's records.
    private struct Job {
        let model: Model
        let range: Range<Int>
        let index: Int
        var last: Bool { range.upperBound == model.fold.count }
    }

    /// A model being written, and the turns of its batches (batch `i` writes after `turns[i]`
    /// is signalled, then signals `turns[i + 1]`).
    private final class Model: @unchecked Sendable {
        let fold: ModelFold
        let turns: [DispatchSemaphore]
        init(_ fold: ModelFold, batches: Int) {
            self.fold = fold
            // All at 0, the first signalled: libdispatch traps when a semaphore is freed with a
            // value below the one it was made with.
            turns = (0...batches).map { _ in DispatchSemaphore(value: 0) }
            turns[0].signal()
        }
    }

    private struct State {
        var arrived = 0
        /// When the last thread to finish folding did, and when the last one finished sorting.
        var folded: ContinuousClock.Instant?
        var sorted: ContinuousClock.Instant?
        var failed = false
        var jobs: [Job] = []
        var next = 0
        var error: Error?
    }

    private let store: ProjectionStore
    private let folds: [ModelFold]
    private let threads: Int
    private let batch: Int
    private let state = Mutex(State())
    private let everyoneSorted = DispatchSemaphore(value: 0)

    /// The writing of `folds` into `store` by `threads` threads, in batches of `batch` records.
    init(_ store: ProjectionStore, folds: [ModelFold], threads: Int, batch: Int) {
        self.store = store
        self.folds = folds
        self.threads = threads
        self.batch = max(1, batch)
    }

    /// One thread's part: sorts `own` models (when `folded`: false when its fold or the scan
    /// failed, and then nothing is written), waits for the other threads, then encodes and writes
    /// batches until none is left.
    /// - Throws: a write's error (the other threads stop at their next batch).
    func run(own: [ModelFold], folded: Bool) throws {
        let foldEnded = ContinuousClock.now
        if folded { for f in own { f.sortForAppend() } }
        let lastToArrive = state.withLock { s -> Bool in
            s.arrived += 1
            s.folded = max(s.folded ?? foldEnded, foldEnded)
            if !folded { s.failed = true }
            guard s.arrived == threads else { return false }
            if !s.failed { s.jobs = jobs() }
            s.sorted = ContinuousClock.now
            return true
        }
        if lastToArrive {
            for _ in 1..<threads { everyoneSorted.signal() }
        } else {
            everyoneSorted.wait()
        }
        var encoded = EncodedRecords()
        while let job = state.withLock({ s -> Job? in
            guard !s.failed, s.error == nil, s.next < s.jobs.count else { return nil }
            defer { s.next += 1 }
            return s.jobs[s.next]
        }) {
            encoded.reset()
            job.model.fold.encode(range: job.range, into: &encoded)
            job.model.turns[job.index].wait()
            defer { job.model.turns[job.index + 1].signal() }
            if state.withLock({ $0.error != nil }) { return }
            do {
                try write(job, encoded)
            } catch {
                state.withLock { $0.error = error }
                throw error
            }
        }
    }

    /// When the last thread finished folding, and when the last one finished sorting (nil until
    /// every thread has).
    var phaseEnds: (folded: ContinuousClock.Instant, sorted: ContinuousClock.Instant)? {
        state.withLock { s in s.folded.flatMap { f in s.sorted.map { (f, $0) } } }
    }

    /// Every model's batches, model after model (the heaviest first, so that the light ones fill
    /// the end).
    private func jobs() -> [Job] {
        var jobs: [Job] = []
        for fold in folds.sorted(by: { $0.count > $1.count }) where fold.target != nil {
            let batches = max(1, (fold.count + batch - 1) / batch)
            let model = Model(fold, batches: batches)
            for i in 0..<batches {
                jobs.append(Job(model: model, range: i * batch..<min(fold.count, (i + 1) * batch), index: i))
            }
        }
        return jobs
    }

    /// Writes one batch into the model's idle slot (sorted keys: each put lands at the end of the
    /// tree): the first also clears the slot, the last also flips the checkpoint.
    private func write(_ job: Job, _ encoded: borrowing EncodedRecords) throws {
        guard let (name, checkpoint, db) = job.model.fold.target else { return }
        try store.environment.write { (txn: borrowing Transaction) throws in
            if job.index == 0 { try txn.clear(db) }
            try encoded.put(db: db, txn: txn)
            if job.last { try store.writeCheckpoint(name, checkpoint, in: txn) }
        }
        // The models are written without a sync per transaction and synced once at the end: the
        // disk writes what this batch wrote while the next ones are encoded, instead of all of
        // it during that last sync (~0.5 s of a million-customer rebuild, both cores idle).
        store.environment.startWriteback()
    }
}
