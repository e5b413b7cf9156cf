import Foundation
import Testing

@Suite("Long scans and the ledger's mapped file")
struct MappedMemoryTests {
    @Test("long scans do not hold the ledger's file in their resident size: a rebuild and views as of an event or a time copy the log's pages; through the map, they let go of them past the budget")
    func longScansStayBounded() throws {
        let ledger = try GeneratedLedger("mapped", generate: ["--customers", "3000", "--days", "365", "--seed", "5"]); defer { ledger.remove() }
        let (db, key) = (ledger.db, ledger.key)
        let file = try #require(try FileManager.default.attributesOfItem(atPath: db + "/data.mdb")[.size] as? Int)
        #expect(file > 16 << 20, "the ledger is large enough to tell the two apart (\(file) bytes)")
        func peak(_ command: [String], copying: Bool, budgetMB: Int) throws -> Int {
            let run = try ClienteleBinary.peakResident(command, environment: [
                "CLIENTELE_COPY_PAGES": copying ? "1" : "0", "CLIENTELE_MAPPED_BUDGET_MB": "\(budgetMB)", "CLIENTELE_MASTER_KEY_FILE": key,
            ])
            #expect(run.status == 0, "\(command[0]) exited with \(run.status)")
            return run.kilobytes
        }
        // Through the map without a budget, the scan holds most of the file mapped by the end; a
        // quarter of the file less is the least either way of bounding it must save.
        let saved = file / 1024 / 4
        let rebuild = ["rebuild", "--db", db]
        let asOfEvent = ["segments", "--db", db, "--as-of", "999999999"]
        let asOfTime = ["segments", "--db", db, "--as-of", "2030-01-01T00:00:00Z"]
        for command in [rebuild, asOfEvent, asOfTime] {
            let mapped = try peak(command, copying: false, budgetMB: 1_000_000)
            // (A view as of a time still walks the time index through the map, within the budget.)
            let copied = try peak(command, copying: true, budgetMB: 1)
            #expect(copied < mapped - saved, "\(command[0]): \(copied) KB copying the log's pages, \(mapped) KB through the map, file \(file / 1024) KB")
        }
        // Told not to copy, they read through the map: with a 1 MB budget they hold a few MB of
        // the file at most (2,048 events between two looks).
        for command in [asOfTime, rebuild] {
            let unbounded = try peak(command, copying: false, budgetMB: 1_000_000)
            let bounded = try peak(command, copying: false, budgetMB: 1)
            #expect(bounded < unbounded - saved, "\(command[0]): \(bounded) KB with the budget, \(unbounded) KB without, file \(file / 1024) KB")
        }
    }
}
