import LMDB
import Ledger
#if canImport(Glibc)
import Glibc
#endif

/// What a restore did.
public struct RestoreOutcome: Sendable {
    /// The backup's manifest.
    public var manifest: BackupManifest
    /// The verification of the restored ledger (sound, or the restore would have failed).
    public var verification: VerificationReport
    /// Where the ledger that was replaced now lies, when one was.
    public var movedAside: String?
}

/// Restores a backup made by `LedgerBackup` into a ledger folder.
public enum LedgerRestore {
    /// Copies the backup in `backup` to `db`: into a staging folder beside it first, which must
    /// verify and hold the manifest's head event with its hash; then the staging folder takes
    /// `db`'s place. An existing ledger at `db` is replaced only when `force` is set, and is moved
    /// aside (`<db>.before-restore-<time>`), never deleted; a ledger another process has open is
    /// never replaced. The read models are not restored: they are rebuilt on first use.
    ///
    /// - Throws: `BackupError`; when it throws, `db` is as it was.
    public static func restore(from backup: String, to db: String, force: Bool) throws(BackupError) -> RestoreOutcome {
        let manifestPath = backup + "/" + BackupManifest.fileName
        guard Files.exists(manifestPath) else { throw .notABackup(path: backup, reason: "it has no \(BackupManifest.fileName)") }
        let manifest = try BackupManifest(json: try Files.read(manifestPath), file: manifestPath)
        guard Files.exists(backup + "/data.mdb") else { throw .notABackup(path: backup, reason: "it has no data.mdb") }
        for name in manifest.environments where name != "." {
            guard Files.exists(backup + "/" + name + "/data.mdb") else { throw .notABackup(path: backup, reason: "its manifest lists \(name)/ but \(name)/data.mdb is missing") }
        }
        let existing = Files.exists(db + "/data.mdb")
        for folder in [db] + (LedgerBackup.companions + ["models"]).map({ db + "/" + $0 }) {
            if let pid = EnvironmentLock.holder(of: folder) { throw .inUse(path: folder, pid: pid) }
        }
        if existing && !force { throw .destinationExists(path: db) }
        if Files.exists(db) && !Files.isDirectory(db) { throw .io(path: db, reason: "it is a file, not a folder") }

        var trimmed = db
        while trimmed.count > 1 && trimmed.hasSuffix("/") { trimmed.removeLast() }
        let staging = trimmed + ".restoring-\(getpid())"
        Files.removeTree(staging)
        try Files.makeFolder(staging)
        let verification: VerificationReport
        do {
            try Files.copy(backup + "/data.mdb", to: staging + "/data.mdb")
            for name in manifest.environments where name != "." {
                try Files.makeFolder(staging + "/" + name)
                try Files.copy(backup + "/" + name + "/data.mdb", to: staging + "/" + name + "/data.mdb")
            }
            for name in manifest.files where Files.exists(backup + "/" + name) {
                try Files.copy(backup + "/" + name, to: staging + "/" + name)
            }
            verification = try check(staging, against: manifest)
        } catch {
            Files.removeTree(staging)
            throw error
        }

        var aside: String?
        if Files.exists(trimmed) {
            let stamp = Timestamp.now().iso8601.filter { $0.isNumber }.prefix(14)
            let target = trimmed + ".before-restore-" + stamp
            guard rename(trimmed, target) == 0 else {
                let why = Files.reason()
                Files.removeTree(staging)
                throw .io(path: trimmed, reason: "cannot move it aside to \(target): \(why)")
            }
            aside = target
        }
        guard rename(staging, trimmed) == 0 else {
            let why = Files.reason()
            if let aside { rename(aside, trimmed) }
            throw .io(path: trimmed, reason: "cannot move the restored copy into place: \(why) (it stays at \(staging))")
        }
        let parent = trimmed.contains("/") ? String(trimmed[..<trimmed.lastIndex(of: "/")!]) : "."
        try? Files.sync(parent.isEmpty ? "/" : parent)
        return RestoreOutcome(manifest: manifest, verification: verification, movedAside: aside)
    }

    /// Verifies the copy in `folder` and checks it ends at the manifest's head.
    private static func check(_ folder: String, against manifest: BackupManifest) throws(BackupError) -> VerificationReport {
        let ledger: Ledger
        do { ledger = try Ledger(path: folder) } catch { throw .storage("opening the restored copy at \(folder): \(error)") }
        defer { ledger.close() }
        let report: VerificationReport
        let atHead: RecordedEvent?
        do {
            report = try ledger.verify()
            atHead = manifest.headSequence == 0 ? nil : try ledger.event(manifest.headSequence)
        } catch {
            throw .storage("verifying the restored copy at \(folder): \(error)")
        }
        guard report.isSound else { throw .unsound(path: folder, firstBadSequence: report.firstBadSequence, problems: report.problems) }
        guard report.events == manifest.headSequence else {
            throw .headMismatch(sequence: manifest.headSequence, expected: manifest.headHash,
                                found: "none (the copy holds \(report.events) events)")
        }
        if manifest.headSequence > 0 {
            let found = atHead?.chainHash.description ?? "none"
            guard found == manifest.headHash else { throw .headMismatch(sequence: manifest.headSequence, expected: manifest.headHash, found: found) }
        }
        return report
    }
}
