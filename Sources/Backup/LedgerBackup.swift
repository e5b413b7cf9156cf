import LMDB
import Ledger
#if canImport(Glibc)
import Glibc
#endif

/// Hot, consistent, compacted copies of a ledger and its companions, and their restore.
///
/// A ledger folder holds the log (`data.mdb`), the customers' data keys (`keys/`), the access
/// tokens (`access/`), perhaps `config.json` or `config.toml`, and the read models (`models/`). A backup copies
/// the first four: each LMDB environment with LMDB's own copy (`mdb_env_copy2` with
/// `MDB_CP_COMPACT`: one read transaction, so a consistent snapshot while writers go on, free
/// pages left out). The read models are not copied: they are folds of the log, rebuilt on first
/// use after a restore. The master key is never in a ledger folder and so never in a backup.
///
/// Order matters between the separately copied environments: the log is copied first, then the
/// keys. A data key is made before the first event sealed with it is appended, so every event in
/// the copied log finds its key in the copied key store; and a key destroyed by an erasure during
/// the backup is gone from the copy even if the copied log stops before the `CustomerErased`
/// event — an erasure is never undone by a backup taken while it ran.
public enum LedgerBackup {
    /// The companion environments copied beside the log, in the order they are copied.
    public static let companions = ["keys", "access"]
    /// Plain files copied beside the log.
    public static let plainFiles = ["config.json", "config.toml"]

    /// Copies the ledger at `db` into the new or empty folder `destination` and writes its manifest.
    ///
    /// - Throws: `BackupError` naming the folder at fault; a half-written destination is removed.
    /// - Complexity: reads each environment's pages in use once, sequentially.
    /// - Parameter compact: LMDB's compacting copy (free pages left out); false for its plain copy,
    ///   which is as consistent and, with LMDB 0.9.24, much faster for events over ~2 KiB (see BENCHMARKS.md).
    public static func take(db: String, to destination: String, compact: Bool = true) throws(BackupError) -> BackupManifest {
        guard Files.exists(db + "/data.mdb") else { throw .noLedger(path: db) }
        if Files.exists(destination) {
            guard Files.isDirectory(destination), Files.entries(destination).isEmpty else { throw .destinationNotEmpty(path: destination) }
        }
        try Files.makeFolder(destination)
        do {
            return try copy(db: db, to: destination, compact: compact)
        } catch {
            // A destination named by a symbolic link to an empty folder keeps its link and folder:
            // what was written through it goes (removeTree would remove only the link).
            if Files.isSymbolicLink(destination) {
                for name in Files.entries(destination) { Files.removeTree(destination + "/" + name) }
            } else {
                Files.removeTree(destination)
            }
            throw error
        }
    }

    private static func copy(db: String, to destination: String, compact: Bool) throws(BackupError) -> BackupManifest {
        let started = Timestamp.now()
        var environments: [String] = []
        var bytes = 0
        for name in ["."] + companions {
            let source = name == "." ? db : db + "/" + name
            guard Files.exists(source + "/data.mdb") else { continue }
            let target = name == "." ? destination : destination + "/" + name
            if name != "." { try Files.makeFolder(target) }
            try copyEnvironment(source, to: target, compact: compact)
            bytes += Files.size(target + "/data.mdb")
            environments.append(name)
        }
        var files: [String] = []
        for name in plainFiles where Files.exists(db + "/" + name) {
            bytes += try Files.copy(db + "/" + name, to: destination + "/" + name)
            files.append(name)
        }
        // The head of the copy (not of the live ledger, which has moved on).
        let head: (sequence: UInt64, hash: ChainHash)
        do {
            let copy = try Ledger(path: destination)
            defer { copy.close() }
            head = try copy.head()
        } catch {
            throw .storage("reading the copied ledger at \(destination): \(error)")
        }
        for name in environments { unlink((name == "." ? destination : destination + "/" + name) + "/lock.mdb") }
        let manifest = BackupManifest(startedAt: started, finishedAt: Timestamp.now(), headSequence: head.sequence,
                                      headHash: head.hash.description, environments: environments, files: files, bytes: bytes)
        try Files.write(manifest.json, to: destination + "/" + BackupManifest.fileName)
        try Files.sync(destination)
        return manifest
    }

    /// LMDB's copy (compacting or plain) of the environment in `source` into the folder `target`, flushed.
    private static func copyEnvironment(_ source: String, to target: String, compact: Bool) throws(BackupError) {
        do {
            let environment = try Environment(path: source)
            defer { environment.close() }
            try environment.copy(to: target, compact: compact)
        } catch {
            throw .storage("copying \(source): \(error)")
        }
        // mdb_env_copy2 creates data.mdb with mode 0666 less the umask, and does not flush it.
        chmod(target + "/data.mdb", 0o600)
        try Files.sync(target + "/data.mdb")
        try Files.sync(target)
    }
}
