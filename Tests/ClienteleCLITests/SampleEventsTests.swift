import Foundation
import Testing

@Suite("The sample events tools/run loads")
struct SampleEventsTests {
    @Test("every line of tools/sample-events.jsonl is accepted")
    func sampleEvents() throws {
        let dir = try TempFolder("samples"); defer { dir.remove() }
        let db = dir.path + "/ledger", key = dir.path + "/master.key"
        _ = try ClienteleBinary.run(["keygen", "--out", key])
        _ = try ClienteleBinary.run(["init", "--db", db])
        let file = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("tools/sample-events.jsonl").path
        let result = try ClienteleBinary.run(["append", "--db", db, "--master-key-file", key, file])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.split(separator: "\n").count == 22)
    }
}
