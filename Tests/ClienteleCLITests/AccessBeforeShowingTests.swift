import Foundation
import Testing

/// Personal data leaves the command line only once its reading is on record, as it leaves the
/// service: a command killed halfway through an export has shown nothing that is not recorded.
@Suite("Readings of personal data are on record before they are shown", .serialized)
struct AccessBeforeShowingTests {
    /// The customers of the complete JSON lines in `text` whose events carry a personal field.
    static func customersShown(_ text: String) -> Set<String> {
        var shown = Set<String>()
        for line in text.split(separator: "\n") {
            guard let event = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                  let customer = event["customer"] as? String, let payload = event["payload"] as? [String: Any] else { continue }
            if payload["name"] is String || payload["phone"] is String || payload["birthday"] is String { shown.insert(customer) }
        }
        return shown
    }

    @Test("an export killed with SIGKILL after its first output: every customer it showed is on record", arguments: [
        (["events"], "clientele events"),
        (["replay", "--events", "--identified"], "clientele replay --identified"),
    ])
    func killedHalfway(command: [String], endpoint: String) throws {
        // ~22,000 events, ~10 MB of JSON Lines: the command writes them in several stretches.
        let ledger = try GeneratedLedger("access-first", generate: ["--customers", "2000", "--days", "365", "--seed", "5"]); defer { ledger.remove() }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: ClienteleBinary.path)
        process.arguments = command + ["--db", ledger.db, "--master-key-file", ledger.key]
        let stdout = Pipe()
        process.standardOutput = stdout
        process.standardError = FileHandle.nullDevice
        try process.run()
        var received = Data()
        let reader = stdout.fileHandleForReading
        while received.count < 1 << 20 {
            let data = reader.availableData
            if data.isEmpty { break }
            received.append(data)
        }
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        #expect(process.terminationReason == .uncaughtSignal, "the command ended before it was killed: the test needs more output")

        let shown = Self.customersShown(String(decoding: received, as: UTF8.self))
        #expect(shown.count > 100, "\(shown.count) customers' personal data in the first MiB")
        // Read back without the key: nothing unsealed, nothing recorded by this read.
        let trail = try ClienteleBinary.run(["events", "--db", ledger.db, "--type", "PersonalDataAccessed"], environment: ["CLIENTELE_MASTER_KEY_FILE": ""])
        #expect(trail.status == 0, "\(trail.stderr)")
        var recorded = Set<String>()
        for line in trail.stdout.split(separator: "\n") {
            guard let event = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                  let payload = event["payload"] as? [String: Any], payload["endpoint"] as? String == endpoint,
                  let customer = event["customer"] as? String else { continue }
            recorded.insert(customer)
        }
        let unrecorded = shown.subtracting(recorded)
        #expect(unrecorded.isEmpty, "shown without a record: \(unrecorded.sorted().prefix(5))")
    }
}
