import Foundation
import Testing

@Suite("Long scans and the ledger's mapped file")
struct MappedMemoryTests {
    @Test("a rebuild and a view as of a past time let go of the ledger's pages as they pass: their peak resident size stays near the budget, not the file")
    func longScansStayBounded() throws {
        let ledger = try GeneratedLedger("mapped", generate: ["--customers", "3000", "--days", "365", "--seed", "5"]); defer { ledger.remove() }
        let (db, key) = (ledger.db, ledger.key)
        let file = try #require(try FileManager.default.attributesOfItem(atPath: db + "/data.mdb")[.size] as? Int)
        #expect(file > 16 << 20, "the ledger is large enough to tell the two apart (\(file) bytes)")
        for command in [["rebuild", "--db", db], ["segments", "--db", db, "--as-of", "2030-01-01T00:00:00Z"]] {
            let unbounded = try ClienteleBinary.peakResident(command, environment: ["CLIENTELE_MAPPED_BUDGET_MB": "1000000", "CLIENTELE_MASTER_KEY_FILE": key])
            let bounded = try ClienteleBinary.peakResident(command, environment: ["CLIENTELE_MAPPED_BUDGET_MB": "1", "CLIENTELE_MASTER_KEY_FILE": key])
            #expect(unbounded.status == 0 && bounded.status == 0)
            // Unbounded, the scan holds most of the file mapped by the end; with a 1 MB budget,
            // a few MB at most (2,048 events between two looks).
            #expect(bounded.kilobytes < unbounded.kilobytes - file / 2048 / 2,
                    "\(command[0]): \(bounded.kilobytes) KB with the budget, \(unbounded.kilobytes) KB without, file \(file / 1024) KB")
        }
    }
}
