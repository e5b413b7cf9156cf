import LMDB
#if canImport(Glibc)
import Glibc
#endif

/// How to open a ledger.
public struct LedgerOptions: Sendable {
    /// The LMDB environment's options (map size, durability, readers).
    public var environment = EnvironmentOptions()
    /// The most events the group-commit writer puts in one transaction (a single larger batch still goes whole).
    public var maxEventsPerTransaction = 100_000
    /// While appends keep arriving, a commit of fewer than 8 events waits 1 ms for more: each
    /// durable commit costs LMDB two flushes and ~25 page writes whatever its size, and a service
    /// under a steady load of small appends (an access record per read) otherwise commits a few
    /// events at a time. Measured at a steady 6,000 identified reads/s (BENCHMARKS.md): 5.7 → 11.2
    /// events per commit, p99 18.6 → 10.9 ms, 12 % less CPU per read; at a steady 2,000 writes/s
    /// it costs the writes 1.4 ms at the median (p50 1.4 → 2.8 ms, p99 4.4 → 5.6 ms). Only while
    /// several callers keep appending: after a quiet spell (2 ms since the last commit), or after
    /// a commit of one caller's events, an append goes at once, so a lone writer pays nothing.
    /// `.off` commits at once always.
    public var commitGathering = CommitGathering(microseconds: 1_000, below: 8)
    /// Create the folder and the databases when they do not exist.
    public var create = false
    /// While writing a transaction, unmap the ledger's pages this process has read after every
    /// this many events (0: never), and once more after each commit, when the process also hands
    /// the memory freed by the commit back to the system (`malloc_trim`).
    ///
    /// For bulk loads into a large ledger: every event inserts into two indexes with random keys
    /// (by_source, by_customer), so a long load reads pages all over the file through LMDB's map,
    /// and Linux maps 16 neighbouring pages (64 KiB) around each one it faults in. Those pages are
    /// page cache, not the process's own memory, but they count in its resident size (RSS) until
    /// unmapped — the whole file, sooner or later. Unmapping costs a minor fault when a page is read
    /// again; no I/O (see `Environment.releaseMappedPages`).
    public var releaseMappedPagesEvery = 0
    /// Event types that record an observation of a customer rather than a change to them (the
    /// domain's access records). An observation takes no place in the customer's stream: it
    /// carries the version it observed, is left out of `by_customer`, and so never makes a
    /// writer's expected version stale. A customer's scan still returns it, in sequence order,
    /// through `by_observed`, an index the ledger fills in batches (see docs/log-format.md).
    /// The ledger stores the types it is opened with, each from the next sequence number on,
    /// and keeps them: an open that names none changes nothing. Empty: every event is a change.
    public var observationTypes: Set<String> = []
    /// Bring a ledger written by an earlier version to this version's format when opening it
    /// (`clientele upgrade`): indexes whose layout changed are rebuilt from the log, which is
    /// read and never changed. Without it, such a ledger is refused with `.upgradeNeeded`.
    public var upgrade = false

    /// The defaults: durable, open an existing ledger only.
    public init() {}
}

/// The append-only event log of Clientele: every customer action, in order, chained by SHA-256.
///
/// There is no way to change or remove an event through it. Appends go through one writer
/// thread that commits many callers' events in one durable transaction (group commit); reads
/// run on the caller's thread in their own snapshot.
public final class Ledger: Sendable {
    /// The folder holding the LMDB files.
    public let path: String
    let environment: Environment
    let log: Database
    let byCustomer: Database
    let byType: Database
    let byStore: Database
    let byActor: Database
    let byTime: Database
    let bySource: Database
    let byObserved: Database
    let meta: Database
    let writer: GroupCommitWriter
    let releaseEvery: Int
    /// What opening did to bring the ledger to this version's format (nil: nothing was needed).
    public let upgraded: FormatUpgrade?

    /// What this build writes in the `meta` database under `format` (docs/log-format.md).
    /// Format 2 changed the by_source keys (format 1 hashed the whole source reference); format 3
    /// keeps observations out of by_customer (in by_observed instead).
    public static let formatTag = "clientele-ledger/3"
    /// Format 2, which an upgrade passes through.
    static let format2Tag = "clientele-ledger/2"
    /// Earlier formats this build can upgrade: their log is the same, only indexes differ.
    static let upgradableTags = ["clientele-ledger/1", format2Tag]
    /// Stands in `meta` while an upgrade rebuilds by_source, so that an interrupted upgrade is
    /// refused like the old format until it is run again.
    static let upgradingTag = "clientele-ledger/2 (upgrade in progress)"

    /// Opens the ledger in folder `path` (creating it when `options.create` is set).
    public init(path: String, options: LedgerOptions = LedgerOptions()) throws(LedgerError) {
        var st = stat()
        if stat(path, &st) != 0 {
            guard options.create else { throw .notFound(path: path) }
            try Ledger.makeFolder(path)
        } else if st.st_mode & S_IFMT != S_IFDIR {
            throw .notALedger(path: path, reason: "it is a file, not a folder")
        } else if !options.create && access(path + "/data.mdb", F_OK) != 0 {
            throw .notFound(path: path)
        }
        do {
            let env = try Environment(path: path, options: options.environment)
            environment = env
            meta = try env.database("meta")
            log = try env.database("log")
            byCustomer = try env.database("by_customer")
            byType = try env.database("by_type")
            byStore = try env.database("by_store")
            byActor = try env.database("by_actor")
            byTime = try env.database("by_time")
            bySource = try env.database("by_source")
            byObserved = try env.database("by_observed")
        } catch {
            throw .storage(error)
        }
        self.path = path
        releaseEvery = max(0, options.releaseMappedPagesEvery)
        let meta = self.meta, log = self.log
        let found: String?
        do {
            found = try environment.write { (txn: borrowing Transaction) throws -> String? in
                if let existing = try Ledger.metaString(MetaKey.format, in: txn, meta: meta) {
                    // Observation types this open names and the ledger does not store yet count from now on.
                    if existing == Ledger.formatTag { try Ledger.adoptObservationTypes(options.observationTypes, in: txn, log: log, meta: meta) }
                    return existing
                }
                try Ledger.adoptObservationTypes(options.observationTypes, in: txn, log: log, meta: meta)
                try Ledger.putMeta(MetaKey.format, Array(Ledger.formatTag.utf8), in: txn, meta: meta)
                return nil
            }
        } catch let error as LMDBError {
            throw .storage(error)
        } catch {
            throw .io(path: path, reason: "\(error)")
        }
        var upgraded: FormatUpgrade?
        if let found, found != Ledger.formatTag {
            guard Ledger.upgradableTags.contains(found) || found == Ledger.upgradingTag else {
                environment.close()
                throw .notALedger(path: path, reason: "its format is '\(found)', this build reads '\(Ledger.formatTag)'")
            }
            guard options.upgrade else {
                environment.close()
                throw .upgradeNeeded(path: path, found: found)
            }
            do {
                upgraded = try Ledger.upgrade(environment, log: log, bySource: bySource, meta: meta, from: found,
                                              observationTypes: options.observationTypes)
            } catch {
                environment.close()
                throw error
            }
        }
        self.upgraded = upgraded
        writer = GroupCommitWriter(maxEventsPerTransaction: options.maxEventsPerTransaction, releaseAfterCommit: releaseEvery > 0,
                                   gathering: options.commitGathering)
        writer.start(ledger: self)
    }

    private static func makeFolder(_ path: String) throws(LedgerError) {
        var partial = path.hasPrefix("/") ? "" : "."
        for component in path.split(separator: "/") {
            partial += "/" + component
            if mkdir(partial, 0o700) != 0 && errno != EEXIST {
                throw .io(path: partial, reason: String(cString: strerror(errno)))
            }
        }
    }

    deinit {
        writer.stop()
    }

    /// Stops the writer after the events already submitted are committed, then closes LMDB.
    public func close() {
        writer.stop()
        environment.close()
    }

    /// Unmaps the ledger's pages this process has read (they stay in the page cache), so that its
    /// resident size stops counting them. Safe at any time; see `LedgerOptions.releaseMappedPagesEvery`.
    public func releaseMappedPages() {
        environment.releaseMappedPages()
    }

    /// The LMDB environment, for tools that look beneath the log (backup, statistics).
    public var storage: Environment { environment }
}

extension Ledger {
    /// Write transactions and events the group-commit writer has committed since the ledger was opened.
    public var groupCommitCounters: (transactions: Int, events: Int) { writer.counters }

    /// How many times the group-commit writer held a small commit back for more events
    /// (`LedgerOptions.commitGathering`) since the ledger was opened.
    public var groupCommitWaits: Int { writer.waits }

    /// What the writer's last commit wrote: for bulk loads that size their transactions by the
    /// pages a transaction changes (LMDB holds each in memory until the commit). Read it in a
    /// `submit` completion to see the commit that completion reports.
    public var lastCommit: CommitReport { writer.last }
}
