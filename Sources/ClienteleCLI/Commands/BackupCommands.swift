import Access
import ArgumentParser
import Backup
import Ledger
import LedgerJSON
#if canImport(Glibc)
import Glibc
#endif

extension Clientele {
    /// `clientele backup`: a hot, consistent, compacted copy of the ledger and its companions.
    struct Backup: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Copy the ledger, its key store and its access tokens into a new folder, while writers go on.",
            discussion: reflow("""
                Each LMDB environment is copied with LMDB's compacting copy (one read transaction: \
                a consistent snapshot; appends go on meanwhile and are simply not in it). The log is \
                copied first, then keys/ and access/, then config.json or config.toml if there is one. The read \
                models (models/) are not copied: they are rebuilt from the log on first use. The \
                master key is never in the ledger folder, so never in a backup: keep it elsewhere. \
                BACKUP.json in the folder records the copy's head event and hash; `clientele \
                restore` checks them. Needs the admin role.
                """))

        @OptionGroup var options: DatabaseOptions

        @Option(help: ArgumentHelp("The folder to write the backup to (new, or empty).", valueName: "dir"))
        var to: String

        @Flag(name: .customLong("no-compact"), help: "LMDB's plain copy instead of its compacting copy: as consistent, keeps free pages, much faster when events are over ~2 KiB.")
        var noCompact = false

        @Flag(help: "Print one JSON object (the manifest, and seconds).")
        var json = false

        func run() async throws {
            _ = try options.authorize(.backup)
            let started = Clock.seconds()
            let manifest: BackupManifest
            do { manifest = try LedgerBackup.take(db: options.db, to: to, compact: !noCompact) } catch { throw CommandFailure(error.description) }
            let seconds = Clock.seconds() - started
            if json {
                var bytes = manifest.json
                bytes.removeLast(2) // "}\n"
                bytes += Array(",\"seconds\":\(Format.fixed(seconds, 3))}\n".utf8)
                Output.write(bytes)
            } else {
                Output.line("backed up \(Format.grouped(Int(manifest.headSequence))) events (\(Format.bytes(manifest.bytes))) to \(to) in \(Format.fixed(seconds, 2)) s")
                Output.line("head: event \(manifest.headSequence), hash \(manifest.headHash)")
                Output.line("copied: " + (manifest.environments.map { $0 == "." ? "log" : $0 + "/" } + manifest.files).joined(separator: ", "))
            }
        }
    }

    /// `clientele restore`: puts a backup in place, verified.
    struct Restore: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Restore a backup into a ledger folder, after checking that it verifies.",
            discussion: reflow("""
                The backup is copied into a staging folder beside --db, verified (hash chain and \
                indexes) and checked to end at the event and hash its BACKUP.json names; only then \
                does it take --db's place. An existing ledger there is replaced only with --force, \
                and is moved aside to <db>.before-restore-<time> (delete it once satisfied). A ledger \
                that another process has open (the service, an ingest, a reader) is never replaced. \
                Read models are rebuilt on first use. Needs the admin role.
                """))

        @Option(help: ArgumentHelp("The backup folder (made by `clientele backup`).", valueName: "dir"))
        var from: String

        @OptionGroup var options: DatabaseOptions

        @Flag(help: "Replace an existing ledger at --db (moved aside, not deleted).")
        var force = false

        func run() async throws {
            // Decided by the target's grants and tokens; for a new target, root or the owner of
            // the folder it goes in is admin.
            _ = try options.authorize(.restore)
            let started = Clock.seconds()
            let outcome: RestoreOutcome
            do { outcome = try LedgerRestore.restore(from: from, to: options.db, force: force) } catch { throw CommandFailure(error.description) }
            Output.line("restored \(Format.grouped(Int(outcome.verification.events))) events to \(options.db) in \(Format.fixed(Clock.seconds() - started, 2)) s; verify: sound")
            Output.line("head: event \(outcome.manifest.headSequence), hash \(outcome.manifest.headHash) (backup started \(outcome.manifest.startedAt.iso8601))")
            if let aside = outcome.movedAside { Output.line("the ledger that was there is now at \(aside)") }
        }
    }
}

