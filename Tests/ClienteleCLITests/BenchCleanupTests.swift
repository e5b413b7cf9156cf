import Foundation
import Testing

/// `clientele bench` leaves nothing behind in --dir: each measurement's folder goes with the
/// key and model stores made inside it, also when a measurement fails.
@Suite("bench cleans up its temporary folders")
struct BenchCleanupTests {
    @Test("the measurements that open key and model stores remove their whole folder")
    func measurementsWithStores() throws {
        let dir = try TempFolder("bench-clean"); defer { dir.remove() }
        let r = try ClienteleBinary.run(["bench", "rebuild", "catchup", "customer360", "validate", "append-sealed", "replay", "backup",
                                         "--events", "1100", "--runs", "1", "--dir", dir.path, "--json"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.split(separator: "\n").count == 8, "\(r.stdout)")
        // The rebuild's line carries its phases.
        let rebuild = r.stdout.split(separator: "\n").first { $0.hasPrefix(#"{"name":"rebuild""#) }
        for key in ["fold_seconds", "sort_seconds", "write_seconds", "sync_seconds"] {
            #expect(rebuild?.contains("\"\(key)\"") == true, "\(rebuild ?? "no rebuild line")")
        }
        let left = try FileManager.default.subpathsOfDirectory(atPath: dir.path)
        #expect(left == [], "left behind: \(left.sorted())")
    }

    @Test("a measurement that fails removes its folder too")
    func failure() throws {
        let dir = try TempFolder("bench-fail"); defer { dir.remove() }
        let r = try ClienteleBinary.run(["bench", "ingest", "--file", dir.path + "-no-such-export.csv", "--runs", "1", "--dir", dir.path])
        #expect(r.status != 0)
        #expect(r.stderr.contains("clientele ingest exited"), "\(r.stderr)")
        let left = try FileManager.default.subpathsOfDirectory(atPath: dir.path)
        #expect(left == [], "left behind: \(left.sorted())")
    }
}
