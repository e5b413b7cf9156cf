import CustomerEvents
import LMDB
import Ledger
import LedgerJSON
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// Why a read model could not be read or rebuilt.
public enum ProjectionError: Error, CustomStringConvertible, Sendable {
    case storage(String)
    case damaged(model: String, key: String)

    public var description: String {
        switch self {
        case .storage(let s): return "read model store: \(s)"
        case .damaged(let m, let k): return "read model '\(m)' holds an unreadable record for '\(k)'; run `clientele rebuild \(m)`"
        }
    }
}

/// Where read models live: an LMDB environment of their own at `<ledger>/models`, apart from the
/// log (a rebuild never blocks appends and never grows the log's file). Each model has two
/// databases, slots `a` and `b`; `meta` says which is live, its projector version and the last
/// sequence number folded in. Catch-up writes records and checkpoint in one transaction; a
/// rebuild fills the other slot and flips `meta` only when complete, so a reader never sees a
/// half-built model. Everything here is derived and disposable: delete the folder and it comes back.
public final class ProjectionStore: Sendable {
    let environment: Environment
    let meta: Database
    public let ledger: CustomerLedger
    /// Events folded per write transaction during catch-up.
    public let batch = 100_000
    /// Records written per write transaction by a rebuild (`ModelWriting`).
    public let recordsPerWrite: Int
    /// Serializes catch-ups and rebuilds within this process (see `catchUp`).
    let catchUpLock = Mutex<Void>(())
    /// The last checkpoint parsed for each model, with the bytes it was parsed from.
    let parsedCheckpoints = Mutex<[String: (bytes: [UInt8], checkpoint: Checkpoint)]>([:])

    /// The models of `ledger`, in its folder's `models` environment; a rebuild writes
    /// `recordsPerWrite` records per transaction.
    public init(ledger: CustomerLedger, recordsPerWrite: Int = 100_000) throws(ProjectionError) {
        self.ledger = ledger
        self.recordsPerWrite = max(1, recordsPerWrite)
        let path = ledger.ledger.path + "/models"
        if mkdir(path, 0o700) != 0 && errno != EEXIST { throw .storage("cannot create \(path): \(String(cString: strerror(errno)))") }
        do {
            var options = EnvironmentOptions()
            options.initialMapSize = 256 << 20
            options.durable = false // derived state: a crash costs a rebuild, never data; synced after each catch-up
            environment = try Environment(path: path, options: options)
            meta = try environment.database("meta")
            // Both slots of every stored model, opened now: opening a database takes the
            // environment's write lock, which a read (a request on an event loop) must never wait
            // for, say once another process's rebuild has moved a model to its other slot.
            for p in Self.storedModels() {
                for slot in ["a", "b"] { _ = try environment.database("rm:\(type(of: p).name):\(slot)") }
            }
        } catch {
            throw .storage("\(error)")
        }
    }

    public func close() { environment.close() }

    struct Checkpoint: Equatable {
        var slot: String
        var version: Int
        var sequence: UInt64
        /// The projector's parameters fingerprint (`KeyedProjector.parameters`).
        var parameters: UInt64 = 0
    }

    func checkpoint(_ name: String) throws -> Checkpoint? {
        try environment.read { (txn: borrowing Transaction) throws -> Checkpoint? in try checkpoint(name, in: txn) }
    }

    /// The checkpoint of `name` in `txn`'s snapshot. The stored bytes are compared with the last
    /// ones parsed for that model, so that a read parses the checkpoint only when it changed
    /// (every 360 read looks at two of them).
    func checkpoint(_ name: String, in txn: borrowing Transaction) throws -> Checkpoint? {
        try Array(name.utf8).withUnsafeBytes { k in
            guard let v = try txn.get(meta, key: k) else { return nil }
            if let known = parsedCheckpoints.withLock({ $0[name] }), known.bytes.elementsEqual(v) { return known.checkpoint }
            guard let json = try? JSONParser.parse(UnsafeBufferPointer(start: v.baseAddress!.assumingMemoryBound(to: UInt8.self), count: v.count)),
                  let slot = json["slot"]?.stringValue, let version = json["version"]?.int64Value, let seq = json["sequence"]?.int64Value else { return nil }
            let parameters = json["parameters"]?.stringValue.flatMap { UInt64($0) } ?? 0
            let checkpoint = Checkpoint(slot: slot, version: Int(version), sequence: UInt64(seq), parameters: parameters)
            parsedCheckpoints.withLock { $0[name] = (Array(v), checkpoint) }
            return checkpoint
        }
    }

    func writeCheckpoint(_ name: String, _ c: Checkpoint, in txn: borrowing Transaction) throws {
        var w = JSONWriter()
        w.write(.object([("slot", .string(c.slot)), ("version", .number(String(c.version))), ("sequence", .number(String(c.sequence))),
                          ("parameters", .string(String(c.parameters)))]))
        try Array(name.utf8).withUnsafeBytes { k in try w.bytes.withUnsafeBytes { v in try txn.put(meta, key: k, value: v) } }
    }

    func database(_ name: String, slot: String) throws -> Database {
        try environment.database("rm:\(name):\(slot)")
    }

    /// Both slots' databases of model `name`. Opened before a read's snapshot begins (the stored
    /// models' at init: opening one may take the write lock), so that the read can choose the
    /// live one inside its snapshot (`liveDatabase`).
    func slotDatabases(_ name: String) throws -> (a: Database, b: Database) {
        (try database(name, slot: "a"), try database(name, slot: "b"))
    }

    /// The database of `name`'s live slot in `txn`'s snapshot; nil when the model was never built.
    /// The checkpoint and the records are read in the same snapshot, so a rebuild that moves the
    /// model to its other slot (and later clears this one) meanwhile is never seen half-way.
    func liveDatabase(_ name: String, _ slots: (a: Database, b: Database), in txn: borrowing Transaction) throws -> Database? {
        guard let c = try checkpoint(name, in: txn) else { return nil }
        return c.slot == "a" ? slots.a : slots.b
    }
}

extension ProjectionStore {
    /// The stored read models under `configuration`: what `clientele rebuild` rebuilds (in one scan).
    public static func storedModels(_ configuration: ClienteleConfiguration = ClienteleConfiguration()) -> [any KeyedProjector] {
        [CustomerSummaryProjector(), ComplaintStatusProjector(), DailySummaryProjector(), LoyaltyProjector(configuration: configuration)]
    }
}
