import Foundation
import Testing

/// `clientele ingest` as a user runs it: the real binary in a child process, a real ledger.
@Suite("clientele ingest", .serialized)
struct IngestCommandTests {
    static let samples: String = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        return url.deletingLastPathComponent().appendingPathComponent("shared/samples").path
    }()
    static let shopify = samples + "/shopify_orders_export_2021_kidsliving_REDACTED.csv"
    static let uci = samples + "/uci_online_retail_II_head_xq2005.csv"
    static let uciArgs = ["--store", "uk-1", "--timezone", "Europe/London", "--date-format", "mdy"]

    /// A new ledger and master key in `dir`; returns the arguments naming them.
    func ledger(in dir: TempFolder) throws -> [String] {
        let db = dir.path + "/ledger"
        #expect(try ClienteleBinary.run(["init", "--db", db]).status == 0)
        #expect(try ClienteleBinary.run(["keygen", "--out", dir.path + "/key"]).status == 0)
        return ["--db", db, "--master-key-file", dir.path + "/key"]
    }

    func json(_ text: String) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
    }

    /// No crash, no stack trace, whatever went wrong.
    func noCrash(_ r: ClienteleBinary.Output) {
        #expect(!r.stderr.contains("Fatal error") && !r.stderr.contains("Stack dump") && !r.stderr.contains("Backtrace"), "\(r.stderr)")
    }

    @Test("a sample ingests with --json counts; the second run adds nothing and says so; verify is sound")
    func sampleTwice() throws {
        let dir = try TempFolder("ingest"); defer { dir.remove() }
        let db = try ledger(in: dir)
        let first = try ClienteleBinary.run(["ingest"] + db + ["--store", "store-1", "--json", Self.shopify])
        #expect(first.status == 0, "\(first.stderr)")
        let a = try json(first.stdout)
        #expect(a["receipts"] as? Int == 48 && a["lines"] as? Int == 95 && a["skippedReceipts"] as? Int == 2)
        #expect(a["rowsRead"] as? Int == 101 && a["rejectedRows"] as? Int == 0)
        #expect(a["eventsAppended"] as? Int == 95 && a["customersRegistered"] as? Int == 47)
        #expect(a["anonymousReceipts"] as? Int == 0 && a["anonymousRows"] as? Int == 0)
        #expect((a["totals"] as? [String: Int])?["ZAR"] == 13_571_400)
        #expect(a["seconds"] is Double || a["seconds"] is Int)
        let second = try ClienteleBinary.run(["ingest"] + db + ["--store", "store-1", "--json", Self.shopify])
        #expect(second.status == 0)
        let b = try json(second.stdout)
        #expect(b["eventsAppended"] as? Int == 0 && b["duplicatesSkipped"] as? Int == 95 && b["receiptsAlreadyPresent"] as? Int == 48)
        let human = try ClienteleBinary.run(["ingest"] + db + ["--store", "store-1", Self.shopify])
        #expect(human.status == 0)
        #expect(human.stdout.contains("already there") && human.stdout.contains("48"))
        #expect(human.stdout.split(separator: "\n").allSatisfy { $0.count <= 80 }, "\(human.stdout)")
        #expect(human.stderr.isEmpty, "no progress bar when standard error is not a terminal: \(human.stderr)")
        let verify = try ClienteleBinary.run(["verify", "--db", db[1]])
        #expect(verify.status == 0 && verify.stdout.hasPrefix("sound: 95 events"))
    }

    @Test("rejected rows: exit 1, the rejects file as JSON Lines with their lines, the rest committed")
    func rejected() throws {
        let dir = try TempFolder("ingest-rejects"); defer { dir.remove() }
        let db = try ledger(in: dir)
        var lines = try String(contentsOfFile: Self.uci, encoding: .utf8).components(separatedBy: "\n")
        lines[9] = lines[9].replacingOccurrences(of: ",1.85,", with: ",1..85,")   // line 10, invoice 536366 (lines 9–10)
        let file = dir.path + "/bad.csv"
        try lines.joined(separator: "\n").write(toFile: file, atomically: true, encoding: .utf8)
        let r = try ClienteleBinary.run(["ingest"] + db + Self.uciArgs + ["--json", "--rejects", dir.path + "/rejects.jsonl", file])
        noCrash(r)
        #expect(r.status == 1, "\(r.stderr)")
        #expect(try json(r.stdout)["rejectedRows"] as? Int == 2)
        #expect(r.stderr.contains("bad.csv:10: Price:"), "\(r.stderr)")
        let rejects = try String(contentsOfFile: dir.path + "/rejects.jsonl", encoding: .utf8).split(separator: "\n")
        let rows = try rejects.map { try json(String($0)) }
        try #require(rows.count == 2)
        #expect(rows.map { $0["line"] as? Int } == [9, 10])
        #expect(rows[1]["column"] as? String == "Price" && rows[1]["row"] as? String == lines[9])
        #expect(try json(r.stdout)["receiptsRecorded"] as? Int == 13)
    }

    @Test("unreadable files: exit 2 with one readable message each, the readable file still ingested")
    func unreadable() throws {
        let dir = try TempFolder("ingest-unreadable"); defer { dir.remove() }
        let db = try ledger(in: dir)
        let empty = dir.path + "/empty.csv", binary = dir.path + "/book.xlsx", unknown = dir.path + "/unknown.csv"
        try #require(FileManager.default.createFile(atPath: empty, contents: Data()))
        try #require(FileManager.default.createFile(atPath: binary, contents: Data([0x50, 0x4B, 0x03, 0x04] + [UInt8](repeating: 0, count: 100))))
        try "Foo,Bar\n1,2\n".write(toFile: unknown, atomically: true, encoding: .utf8)
        let r = try ClienteleBinary.run(["ingest"] + db + Self.uciArgs + ["--json", empty, binary, unknown, Self.uci])
        noCrash(r)
        #expect(r.status == 2, "\(r.stderr)")
        #expect(r.stderr.contains("empty.csv is empty"))
        #expect(r.stderr.contains("book.xlsx is not a text (CSV) file"))
        #expect(r.stderr.contains("unknown.csv: the header (Foo, Bar) matches no known export"))
        #expect(try json(r.stdout)["receiptsRecorded"] as? Int == 14)
    }

    @Test("--max-rejects: exit 3, stopped early with the receipts before committed")
    func maxRejects() throws {
        let dir = try TempFolder("ingest-max"); defer { dir.remove() }
        let db = try ledger(in: dir)
        var lines = try String(contentsOfFile: Self.uci, encoding: .utf8).components(separatedBy: "\n")
        for i in [29, 59] { var f = lines[i].components(separatedBy: ","); f[3] = "many"; lines[i] = f.joined(separator: ",") }
        let file = dir.path + "/bad.csv"
        try lines.joined(separator: "\n").write(toFile: file, atomically: true, encoding: .utf8)
        let r = try ClienteleBinary.run(["ingest"] + db + Self.uciArgs + ["--json", "--max-rejects", "0", file])
        noCrash(r)
        #expect(r.status == 3)
        let s = try json(r.stdout)
        #expect(s["stoppedAtMaxRejects"] as? Bool == true && s["receiptsRecorded"] as? Int == 5)
        #expect(r.stderr.contains("max-rejects"))
    }

    @Test("what cannot start says why: exit 4 (no store, no master key, no ledger, bad mapping); usage errors exit 64")
    func cannotStart() throws {
        let dir = try TempFolder("ingest-stop"); defer { dir.remove() }
        let db = try ledger(in: dir)
        let noStore = try ClienteleBinary.run(["ingest", "--db", db[1], "--timezone", "Europe/London", "--date-format", "mdy", Self.uci])
        noCrash(noStore)
        #expect(noStore.status == 4 && noStore.stderr.contains("give --store"), "\(noStore.stderr)")
        let noKey = try ClienteleBinary.run(["ingest", "--db", db[1], "--store", "s", Self.shopify])
        noCrash(noKey)
        #expect(noKey.status == 4 && noKey.stderr.contains("master-key-file"), "\(noKey.stderr)")
        let noLedger = try ClienteleBinary.run(["ingest", "--db", dir.path + "/none", "--store", "s", Self.shopify])
        #expect(noLedger.status == 4 && noLedger.stderr.contains("no ledger at"))
        try "name = \"x\"\n".write(toFile: dir.path + "/m.toml", atomically: true, encoding: .utf8)
        let badMapping = try ClienteleBinary.run(["ingest"] + db + ["--mapping", dir.path + "/m.toml", Self.uci])
        #expect(badMapping.status == 4 && badMapping.stderr.contains("mapping file"), "\(badMapping.stderr)")
        let usage = try ClienteleBinary.run(["ingest"] + db + ["--profile", "sap", Self.uci])
        #expect(usage.status == 64 && usage.stderr.contains("unknown profile 'sap'"))
        let noFiles = try ClienteleBinary.run(["ingest"] + db)
        #expect(noFiles.status == 64)
        #expect(try ClienteleBinary.run(["stats", "--db", db[1], "--json"]).stdout.contains("\"events\":0"))
    }

    @Test("bench ingest: a generated export ingested in a child, with lines per second and peak memory")
    func bench() throws {
        let dir = try TempFolder("bench-ingest"); defer { dir.remove() }
        let r = try ClienteleBinary.run(["bench", "ingest", "--lines", "2000", "--runs", "1", "--dir", dir.path, "--json"])
        #expect(r.status == 0, "\(r.stderr)")
        let m = try json(r.stdout)
        #expect(m["name"] as? String == "ingest")
        #expect((m["events"] as? Int ?? 0) >= 2000 && (m["events"] as? Int ?? 0) < 2100)   // whole receipts
        #expect((m["events_appended"] as? Int ?? 0) > 1000)
        for key in ["seconds", "lines_per_second", "peak_rss_mb", "peak_private_mb", "peak_file_mb", "ledger_mb"] {
            #expect(((m[key] as? NSNumber)?.doubleValue ?? 0) > 0, "\(key)")
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path).isEmpty)
    }
}
