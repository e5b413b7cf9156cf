import Foundation
import Testing
import Ledger
import POSImport

@Suite("Ingest crash safety", .serialized)
struct IngestCrashTests {
    /// Ingests a generated UCI export in a child, kills it with SIGKILL half-way, runs the same
    /// command again, and checks the ledger: every receipt of the file exactly once (no duplicate, no
    /// gap), every customer registered once, and `verify` sound.
    @Test("SIGKILL half-way through an ingest, then the same command again: every receipt exactly once", arguments: [1, 2])
    func killMidIngest(round: Int) async throws {
        let dir = try TempFolder("ingest-crash"); defer { dir.remove() }
        let db = dir.path + "/ledger", file = dir.path + "/export.csv"
        #expect(try ClienteleBinary.run(["init", "--db", db]).status == 0)
        let generated = try ClienteleBinary.run(["generate", "--export", file, "--customers", "12000", "--days", "365", "--seed", "\(round)"])
        #expect(generated.status == 0, "\(generated.stderr)")
        let args = ["ingest", "--db", db, "--store", "S1", "--timezone", "Asia/Shanghai", "--date-format", "mdy", "--batch", "2000", "--json", file]

        let process = Process()
        process.executableURL = URL(fileURLWithPath: ClienteleBinary.path)
        process.arguments = args
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        // Wait until the ledger file has grown a few megabytes (some batches committed), then kill.
        let target = 3_000_000 * round
        let deadline = Date().addingTimeInterval(60)
        while process.isRunning && Date() < deadline {
            let size = (try? FileManager.default.attributesOfItem(atPath: db + "/data.mdb")[.size] as? Int) ?? 0
            if size >= target { break }
            usleep(5_000)
        }
        #expect(process.isRunning, "the ingest finished before it could be killed")
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        #expect(process.terminationReason == .uncaughtSignal)
        let before = try Ledger(path: db)
        let committed = try before.head().sequence
        #expect(try before.verify().isSound)
        before.close()
        #expect(committed > 0, "nothing was committed before the kill")

        // The same command again finishes the job.
        let rerun = try ClienteleBinary.run(args)
        #expect(rerun.status == 0, "\(rerun.stderr)")
        let summary = try #require(try JSONSerialization.jsonObject(with: Data(rerun.stdout.utf8)) as? [String: Any])
        let present = summary["receiptsAlreadyPresent"] as? Int ?? 0, recorded = summary["receiptsRecorded"] as? Int ?? 0
        #expect(present > 0 && recorded > 0, "killed half-way: some receipts before, some after")

        // What the file holds, read independently of the ingest.
        let reader = try POSFileReader(path: file, options: POSImportOptions(dateOrder: .mdy, timeZone: "Asia/Shanghai"))
        var expected: [String] = []
        var customers = Set<String>()
        while let record = try reader.next() {
            guard case .receipt(let r) = record else { Issue.record("unexpected \(record)"); continue }
            expected.append(r.kind == .sale ? r.receiptId! : r.receiptId! + "/return")
            customers.insert(r.customer!.externalId)
        }
        #expect(present + recorded == expected.count)

        let ledger = try Ledger(path: db)
        defer { ledger.close() }
        var found: [String] = []
        var registered: [String] = []
        try ledger.scan(.all()) { event in
            switch event.type {
            case "PurchaseRecorded", "ReturnRecorded": found.append(event.source!.externalId)
            case "CustomerRegistered": registered.append(event.customer)
            default: Issue.record("unexpected event type \(event.type)")
            }
            return true
        }
        #expect(found.count == expected.count, "no duplicate")
        #expect(Set(found) == Set(expected), "no gap")
        #expect(registered.count == customers.count && Set(registered) == Set(customers.map { "uci:" + $0 }))
        let report = try ledger.verify()
        #expect(report.isSound, "\(report.problems)")
        #expect(report.events == UInt64(found.count + registered.count))
    }
}
