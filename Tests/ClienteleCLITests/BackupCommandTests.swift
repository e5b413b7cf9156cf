import Foundation
import Testing

/// `clientele append` running as a child process, fed line by line, its acknowledgements collected.
final class StreamingAppender: @unchecked Sendable {
    // @unchecked Sendable: the mutable state is guarded by `lock`.
    private let process = Process()
    private let stdin = Pipe(), stdout = Pipe(), stderr = Pipe()
    private let lock = NSLock()
    private var acknowledged: [UInt64] = []
    private var partial = Data()

    init(db: String) throws {
        process.executableURL = URL(fileURLWithPath: ClienteleBinary.path)
        process.arguments = ["append", "--db", db]
        process.standardInput = stdin
        process.standardOutput = stdout
        process.standardError = stderr
        stdout.fileHandleForReading.readabilityHandler = { [weak self] handle in
            let data = handle.availableData
            guard let self, !data.isEmpty else { return }
            self.lock.lock(); defer { self.lock.unlock() }
            self.partial.append(data)
            while let nl = self.partial.firstIndex(of: 0x0A) {
                let line = String(decoding: self.partial[self.partial.startIndex..<nl], as: UTF8.self)
                self.partial.removeSubrange(self.partial.startIndex...nl)
                if let n = UInt64(line.split(separator: " ").first ?? "") { self.acknowledged.append(n) }
            }
        }
        try process.run()
    }

    /// Sequence numbers printed so far, in the order of the lines sent.
    var acknowledgements: [UInt64] { lock.lock(); defer { lock.unlock() }; return acknowledged }

    func send(_ text: String) { stdin.fileHandleForWriting.write(Data(text.utf8)) }

    /// Closes standard input and waits for the child to finish.
    func finish() -> Int32 {
        try? stdin.fileHandleForWriting.close()
        process.waitUntilExit()
        Thread.sleep(forTimeInterval: 0.1)
        stdout.fileHandleForReading.readabilityHandler = nil
        return process.terminationStatus
    }
}

@Suite("Backup and restore", .serialized)
struct BackupCommandTests {
    @Test("a backup taken while a child appends restores to a ledger that verifies and holds every event acknowledged before it began")
    func hotBackup() throws {
        // Customers with sealed personal data, so that keys/ matters.
        let ledger = try GeneratedLedger("backup", generate: ["--customers", "30", "--days", "60", "--seed", "3"]); defer { ledger.remove() }
        let (dir, db, key) = (ledger.dir, ledger.db, ledger.key)
        let backup = dir.path + "/backup-1"
        let base = try #require(UInt64(try ClienteleBinary.run(["stats", "--db", db, "--json"]).stdout
            .split(separator: ",").first { $0.contains("\"events\"") }?.split(separator: ":").last ?? ""))

        // A token, so that access/ exists and must come back.
        let token = try ClienteleBinary.run(["token", "create", "--db", db, "--role", "analyst", "--name", "zhao"]).stdout
            .trimmingCharacters(in: .whitespacesAndNewlines)

        let writer = try StreamingAppender(db: db)
        let feeding = LockedFlag()
        let feeder = Thread {
            var n = 0
            while !feeding.isSet {
                writer.send((n..<(n + 20)).map { eventLine($0) }.joined(separator: "\n") + "\n")
                n += 20
                Thread.sleep(forTimeInterval: 0.005)
            }
        }
        feeder.start()
        var waited = 0
        while writer.acknowledgements.count < 400 && waited < 3000 { Thread.sleep(forTimeInterval: 0.01); waited += 1 }
        let before = writer.acknowledgements
        #expect(before.count >= 400)
        let taken = try ClienteleBinary.run(["backup", "--db", db, "--to", backup, "--json"])
        Thread.sleep(forTimeInterval: 0.2)
        feeding.set()
        Thread.sleep(forTimeInterval: 0.05)
        #expect(writer.finish() == 0)
        #expect(taken.status == 0, "\(taken.stderr)")
        let after = writer.acknowledgements
        #expect(after.count > before.count, "the writer went on appending during the backup")

        // The manifest names the copy's head; the copy holds at least what was acknowledged before.
        let manifest = try JSONSerialization.jsonObject(with: Data(taken.stdout.utf8)) as! [String: Any]
        let head = try #require(manifest["headSequence"] as? Int)
        #expect(UInt64(head) >= before.max()!)
        #expect((manifest["environments"] as? [String]) == [".", "keys", "access"])
        #expect(FileManager.default.fileExists(atPath: backup + "/keys/data.mdb"))
        #expect(!FileManager.default.fileExists(atPath: backup + "/models"))

        // Restore into a new folder: verified, every acknowledged event in place with its line.
        let restored = dir.path + "/restored"
        let put = try ClienteleBinary.run(["restore", "--from", backup, "--db", restored])
        #expect(put.status == 0, "\(put.stderr)")
        #expect(put.stdout.contains("verify: sound"))
        #expect(try ClienteleBinary.run(["verify", "--db", restored]).status == 0)
        let events = try ClienteleBinary.run(["events", "--db", restored, "--from", String(base + 1), "--master-key-file", key])
        #expect(events.status == 0, "\(events.stderr)")
        var bySequence: [UInt64: String] = [:]
        for line in events.stdout.split(separator: "\n") {
            guard let obj = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                  let seq = obj["sequence"] as? Int, let ext = obj["externalId"] as? String else { continue }
            bySequence[UInt64(seq)] = ext
        }
        for (line, sequence) in before.enumerated() {
            #expect(bySequence[sequence] == "line-\(line)", "event \(sequence) (line \(line)) was acknowledged before the backup began")
        }
        // Personal data still opens with the master key: the keys came along.
        let customer = try ClienteleBinary.run(["customer", "C0000001", "--db", restored, "--master-key-file", key, "--format", "json"])
        #expect(customer.status == 0 && customer.stdout.contains("\"personalData\":\"unsealed\""), "\(customer.stderr)")

        // The tokens came along too.
        #expect(try ClienteleBinary.run(["segments", "--db", restored], environment: ["CLIENTELE_TOKEN": token]).status == 0)

        // An existing ledger is replaced only with --force, never while a process holds it open.
        let refused = try ClienteleBinary.run(["restore", "--from", backup, "--db", restored])
        #expect(refused.status != 0 && refused.stderr.contains("add --force"), "\(refused.stderr)")
        let holder = try StreamingAppender(db: restored)
        Thread.sleep(forTimeInterval: 0.5)
        let busy = try ClienteleBinary.run(["restore", "--from", backup, "--db", restored, "--force"])
        #expect(busy.status != 0 && busy.stderr.contains("is open in process"), "\(busy.stderr)")
        #expect(holder.finish() == 0)
        let forced = try ClienteleBinary.run(["restore", "--from", backup, "--db", restored, "--force"])
        #expect(forced.status == 0 && forced.stdout.contains(".before-restore-"), "\(forced.stderr)")
        #expect(!forced.stderr.contains(".swift:"))

        // LMDB's plain copy (--no-compact) restores and verifies too.
        let plain = dir.path + "/backup-plain"
        #expect(try ClienteleBinary.run(["backup", "--db", db, "--to", plain, "--no-compact"]).status == 0)
        let fromPlain = try ClienteleBinary.run(["restore", "--from", plain, "--db", dir.path + "/restored-plain"])
        #expect(fromPlain.status == 0 && fromPlain.stdout.contains("verify: sound"), "\(fromPlain.stderr)")

        // Not a backup, or a destination in use: clear refusals naming the folder.
        let notBackup = try ClienteleBinary.run(["restore", "--from", dir.path, "--db", dir.path + "/x"])
        #expect(notBackup.status != 0 && notBackup.stderr.contains("is not a Clientele backup: it has no BACKUP.json"))
        let again = try ClienteleBinary.run(["backup", "--db", db, "--to", backup])
        #expect(again.status != 0 && again.stderr.contains("is not empty"))
    }
}

final class LockedFlag: @unchecked Sendable {
    // @unchecked Sendable: guarded by `lock`.
    private let lock = NSLock()
    private var value = false
    var isSet: Bool { lock.lock(); defer { lock.unlock() }; return value }
    func set() { lock.lock(); value = true; lock.unlock() }
}
