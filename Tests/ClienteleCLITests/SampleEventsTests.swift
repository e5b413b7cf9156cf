import Foundation
import Testing

@Suite("The sample events tools/run loads")
struct SampleEventsTests {
    @Test("every line of tools/sample-events.jsonl is accepted")
    func sampleEvents() throws {
        let ledger = try GeneratedLedger("samples"); defer { ledger.remove() }
        let (db, key) = (ledger.db, ledger.key)
        _ = try ClienteleBinary.run(["init", "--db", db])
        let file = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("tools/sample-events.jsonl").path
        let result = try ClienteleBinary.run(["append", "--db", db, "--master-key-file", key, file])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.split(separator: "\n").count == 22)
    }
}

@Suite("CSV output keeps every cell in its column")
struct CSVOutputTests {
    /// RFC 4180 records: quoted cells may hold commas, doubled quotes and line breaks.
    static func records(_ text: String) -> [[String]] {
        var rows: [[String]] = [], row: [String] = [], cell = "", quoted = false
        var chars = Array(text)[...]
        while let c = chars.popFirst() {
            if quoted {
                if c == "\"" { if chars.first == "\"" { chars.removeFirst(); cell.append("\"") } else { quoted = false } } else { cell.append(c) }
            } else if c == "\"" { quoted = true
            } else if c == "," { row.append(cell); cell = ""
            } else if c == "\n" || c == "\r\n" { row.append(cell); rows.append(row); row = []; cell = ""
            } else if c != "\r" { cell.append(c) }
        }
        if !cell.isEmpty || !row.isEmpty { row.append(cell); rows.append(row) }
        return rows
    }

    @Test("ids and names with commas and quotes come out as one cell each, in every report")
    func awkwardIds() throws {
        // A chain around the renamed sample customer (below), so that the churn model has repeat
        // buyers to be fitted on.
        let ledger = try GeneratedLedger("csv", generate: ["--customers", "80", "--days", "200", "--seed", "3", "--until", "2026-11-20"])
        defer { ledger.remove() }
        let (db, key) = (ledger.db, ledger.key)
        let file = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("tools/sample-events.jsonl").path
        // The sample customer and the staff member who resolved their complaint (credited with the
        // callback's satisfaction) renamed to ids a CSV writer must quote; the customer's birthday
        // moved to tomorrow (in the chain's +08:00), so that the care agenda lists them.
        let customer = #"Wu, "Lin" 1"#, staff = "staff, li"
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(secondsFromGMT: 8 * 3600)!
        let tomorrow = calendar.dateComponents([.month, .day], from: Date().addingTimeInterval(86_400))
        let birthday = String(format: "1992-%02d-%02d", tomorrow.month!, tomorrow.day!) // a leap year: tomorrow may be February 29th
        let text = try String(contentsOfFile: file, encoding: .utf8)
            .replacingOccurrences(of: #""C-0001""#, with: #""Wu, \"Lin\" 1""#)
            .replacingOccurrences(of: #""staff-li""#, with: #""staff, li""#)
            .replacingOccurrences(of: #""birthday":"1991-03-14""#, with: #""birthday":"\#(birthday)""#)
        #expect(text.contains(birthday))
        let appended = try ClienteleBinary.run(["append", "--db", db, "--master-key-file", key], input: text)
        #expect(appended.status == 0, "\(appended.stderr)")
        let reports: [([String], String)] = [
            (["complaints", "--status", "all"], customer),
            (["churn", "--limit", "0"], customer),
            (["segments", "--customers"], customer),
            (["satisfaction", "--by", "staff"], staff),
            (["care-agenda"], customer),
            (["customer", customer], customer),
        ]
        for (command, id) in reports {
            let out = try ClienteleBinary.run(command + ["--db", db, "--format", "csv"], environment: ["CLIENTELE_MASTER_KEY_FILE": key])
            #expect(out.status == 0, "\(command): \(out.stderr)")
            let rows = Self.records(out.stdout).filter { !$0.isEmpty }
            #expect(rows.count >= 2, "\(command): \(out.stdout)")
            #expect(rows.allSatisfy { $0.count == rows[0].count }, "\(command): every row has the header's \(rows.first?.count ?? 0) cells: \(out.stdout)")
            #expect(rows.contains { $0.contains(id) }, "\(command): the id is one cell: \(out.stdout)")
        }
    }
}
