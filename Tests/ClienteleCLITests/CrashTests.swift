import Foundation
import Testing
import Ledger

@Suite("Crash safety", .serialized)
struct CrashTests {
    /// Streams events into `clientele append`, kills it with SIGKILL mid-stream, and checks that
    /// every sequence number it acknowledged is in the reopened ledger, which verifies.
    @Test("SIGKILL mid-stream loses no acknowledged event and leaves a sound ledger", arguments: [1, 2, 3])
    func killMidStream(round: Int) async throws {
        let dir = try TempFolder("crash"); defer { dir.remove() }
        let db = dir.path + "/ledger"
        _ = try ClienteleBinary.run(["init", "--db", db])

        let process = Process()
        process.executableURL = URL(fileURLWithPath: ClienteleBinary.path)
        process.arguments = ["append", "--db", db, "--batch", "500"]
        let stdin = Pipe(), stdout = Pipe()
        process.standardInput = stdin
        process.standardOutput = stdout
        process.standardError = FileHandle.nullDevice
        try process.run()

        // The feeder writes until the pipe breaks (the child is dead).
        signal(SIGPIPE, SIG_IGN)
        let total = 400_000
        let feeder = Thread {
            let handle = stdin.fileHandleForWriting
            var chunk = ""
            for n in 1...total {
                chunk += eventLine(n) + "\n"
                if n % 200 == 0 {
                    do { try handle.write(contentsOf: Data(chunk.utf8)) } catch { return }
                    chunk = ""
                }
            }
            try? handle.close()
        }
        feeder.start()

        // Read acknowledgements until enough have come, then kill.
        let target = 2_000 * round
        var acknowledged: [UInt64] = []
        var partial = ""
        let reader = stdout.fileHandleForReading
        while acknowledged.count < target {
            let data = reader.availableData
            if data.isEmpty { break }
            partial += String(decoding: data, as: UTF8.self)
            while let newline = partial.firstIndex(of: "\n") {
                if let n = UInt64(partial[..<newline]) { acknowledged.append(n) }
                partial = String(partial[partial.index(after: newline)...])
            }
        }
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        #expect(process.terminationReason == .uncaughtSignal)
        #expect(acknowledged.count >= target, "the child stopped early")

        let ledger = try Ledger(path: db)
        defer { ledger.close() }
        let head = try ledger.head().sequence
        #expect(head >= acknowledged.max() ?? 0)
        for n in acknowledged {
            let event = try #require(try ledger.event(n), "acknowledged event \(n) is missing")
            #expect(event.source?.externalId == "line-\(n)")
        }
        let report = try ledger.verify()
        #expect(report.isSound, "\(report.problems)")
        #expect(report.events == head)
    }
}
