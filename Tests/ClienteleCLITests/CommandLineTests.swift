import Foundation
import Testing
import Ledger
import LMDB
@testable import ClienteleCLI

@Suite("The clientele command", .serialized)
struct CommandLineTests {
    @Test("init, append, stats and verify work end to end")
    func endToEnd() throws {
        let dir = try TempFolder("e2e"); defer { dir.remove() }
        let db = dir.path + "/ledger"
        let created = try ClienteleBinary.run(["init", "--db", db])
        #expect(created.status == 0)
        #expect(created.stdout.contains("Created an empty ledger"))
        let again = try ClienteleBinary.run(["init", "--db", db])
        #expect(again.status == 0 && again.stdout.contains("already exists"))

        let input = (1...5).map { eventLine($0) }.joined(separator: "\n") + "\n"
        let appended = try ClienteleBinary.run(["append", "--db", db], input: input)
        #expect(appended.status == 0, "\(appended.stderr)")
        #expect(appended.stdout == "1\n2\n3\n4\n5\n")

        // The same lines again: all duplicates, nothing written.
        let replay = try ClienteleBinary.run(["append", "--db", db, "--json"], input: input)
        #expect(replay.status == 0)
        #expect(replay.stdout.split(separator: "\n").allSatisfy { $0.contains("\"status\":\"duplicate\"") })

        let stats = try ClienteleBinary.run(["stats", "--db", db, "--json"])
        #expect(stats.status == 0)
        let object = try JSONSerialization.jsonObject(with: Data(stats.stdout.utf8)) as? [String: Any]
        #expect(object?["events"] as? Int == 5)
        #expect(object?["customers"] as? Int == 5)
        #expect((object?["eventsByType"] as? [String: Int])?["VisitRecorded"] == 5)

        let human = try ClienteleBinary.run(["stats", "--db", db])
        #expect(human.stdout.contains("VisitRecorded"))
        #expect(human.stdout.split(separator: "\n").allSatisfy { $0.count <= 80 })

        let verify = try ClienteleBinary.run(["verify", "--db", db])
        #expect(verify.status == 0)
        #expect(verify.stdout.hasPrefix("sound: 5 events"))
    }

    @Test("bad lines are reported by line and field; good lines around them are appended")
    func badLines() throws {
        let dir = try TempFolder("bad"); defer { dir.remove() }
        let db = dir.path + "/ledger"
        _ = try ClienteleBinary.run(["init", "--db", db])
        let input = [
            eventLine(1),
            "{not json",
            eventLine(3).replacingOccurrences(of: "+08:00", with: ""),
            eventLine(4, extra: ",\"colour\":\"red\""),
            eventLine(5).replacingOccurrences(of: "\"store\":\"S0\",", with: ""),
            "",
            eventLine(7),
        ].joined(separator: "\n")
        let result = try ClienteleBinary.run(["append", "--db", db], input: input)
        #expect(result.status == 1)
        #expect(result.stdout == "1\n2\n")
        #expect(result.stderr.contains("stdin:2: $: invalid JSON"), "\(result.stderr)")
        #expect(result.stderr.contains("stdin:3: $.occurredAt:"))
        #expect(result.stderr.contains("stdin:4: $.colour: unknown member"))
        #expect(result.stderr.contains("stdin:5: $.store: is required"))
        #expect(result.stderr.contains("appended 2, duplicates 0, rejected 4"))
        #expect(!result.stderr.contains("Fatal error"))
    }

    @Test("append refuses an id in another Unicode spelling by line and field; id arguments are read in NFC")
    func canonicalIds() throws {
        let dir = try TempFolder("nfc"); defer { dir.remove() }
        let db = dir.path + "/ledger"
        _ = try ClienteleBinary.run(["init", "--db", db])
        let input = [eventLine(1, customer: "Caf\u{E9}"), eventLine(2, customer: "Cafe\u{301}"), eventLine(3, customer: "Caf\u{E9}")]
            .joined(separator: "\n") + "\n"
        let result = try ClienteleBinary.run(["append", "--db", db], input: input)
        #expect(result.status == 1)
        #expect(result.stdout == "1\n2\n")
        #expect(result.stderr.contains("stdin:2: $.customer: is not in Unicode normalization form C"), "\(result.stderr)")
        // Either spelling on the command line names the one stream.
        for spelling in ["Caf\u{E9}", "Cafe\u{301}"] {
            let events = try ClienteleBinary.run(["events", "--db", db, "--customer", spelling])
            #expect(events.status == 0, "\(events.stderr)")
            #expect(events.stdout.split(separator: "\n").count == 2, "\(events.stdout)")
        }
    }

    @Test("a month that is not YYYY-MM is refused, saying what is expected", arguments: [["staff"], ["satisfaction"]])
    func badMonth(command: [String]) throws {
        let dir = try TempFolder("month"); defer { dir.remove() }
        let db = dir.path + "/ledger"
        _ = try ClienteleBinary.run(["init", "--db", db])
        for bad in ["nov", "2026-13", "2026-1"] {
            let r = try ClienteleBinary.run(command + ["--db", db, "--month", bad])
            #expect(r.status != 0 && r.stderr.contains("'\(bad)' is not a month: expected YYYY-MM"), "\(command) --month \(bad): \(r.status) \(r.stderr)")
        }
        #expect(try ClienteleBinary.run(command + ["--db", db, "--month", "2026-11"]).status == 0)
    }

    @Test("every command's help reads as paragraphs at 80 columns, no ragged short lines")
    func helpParagraphs() throws {
        let commands = ["", "init", "append", "ingest", "events", "verify", "erase", "keygen", "customer", "segments", "churn",
                        "complaints", "generate", "serve", "replay", "audit", "backup", "restore", "bench", "token", "upgrade", "staff", "satisfaction"]
        for command in commands {
            let help = try ClienteleBinary.run((command.isEmpty ? [] : [command]) + ["--help"], environment: ["COLUMNS": "80"])
            #expect(help.status == 0, "\(command): \(help.stderr)")
            let text = help.stdout.components(separatedBy: "USAGE:")[0]
            for paragraph in text.components(separatedBy: "\n\n") {
                let lines = paragraph.split(separator: "\n").filter { !$0.hasPrefix(" ") }
                // Every line but a paragraph's last is filled to near the width (a word of up to
                // ~45 characters may push the rest to the next line; a line ending in a colon
                // introduces an indented example).
                for line in lines.dropLast() where !line.hasSuffix(":") { #expect(line.count >= 25 && line.count <= 80, "\(command) --help: '\(line)'") }
            }
        }
    }

    @Test("generate --until ends the history on that day; a bad date is refused by name")
    func generateUntil() throws {
        let result = try ClienteleBinary.run(["generate", "--jsonl", "-", "--customers", "30", "--days", "40", "--until", "2026-03-31"])
        #expect(result.status == 0, "\(result.stderr)")
        let days = result.stdout.split(separator: "\n").compactMap { line -> String? in
            guard let r = line.range(of: #""occurredAt":""#) else { return nil }
            return String(line[r.upperBound...].prefix(10))
        }
        #expect(days.count > 30)
        #expect(days.min()! >= "2026-02-20" && days.max()! <= "2026-03-31", "40 days ending on the 31st begin on February 20th")
        // Without it the chain is the one a seed has always made.
        let plain = try ClienteleBinary.run(["generate", "--jsonl", "-", "--customers", "30", "--days", "40"])
        #expect(plain.stdout.contains(#""occurredAt":"2025-01-01"#))
        for bad in ["2026-02-30", "yesterday", "2026-3-31"] {
            let refused = try ClienteleBinary.run(["generate", "--jsonl", "-", "--until", bad])
            #expect(refused.status != 0 && refused.stderr.contains("--until") && refused.stderr.contains(bad))
        }
    }

    @Test("keygen tells the key's full path as one shell word, and never overwrites a key")
    func keygenPath() throws {
        let dir = try TempFolder("keygen"); defer { dir.remove() }
        let made = try ClienteleBinary.run(["keygen", "--out", dir.path + "/./my key"])
        #expect(made.status == 0, "\(made.stderr)")
        #expect(made.stdout.contains("export CLIENTELE_MASTER_KEY_FILE='\(dir.path)/my key'"), "\(made.stdout)")
        let again = try ClienteleBinary.run(["keygen", "--out", dir.path + "/my key"])
        #expect(again.status != 0)
        #expect(Clientele.KeyGen.shellQuoted("/k/it's") == #"'/k/it'\''s'"#)
        #expect(Clientele.KeyGen.shellQuoted("/srv/keys/master-1.key") == "/srv/keys/master-1.key")
    }

    @Test("a missing ledger is one readable error, not a crash")
    func missingLedger() throws {
        let dir = try TempFolder("missing"); defer { dir.remove() }
        for command in [["stats"], ["verify"], ["append"]] {
            let result = try ClienteleBinary.run(command + ["--db", dir.path + "/none"])
            #expect(result.status != 0)
            #expect(result.stderr.contains("no ledger at"))
            #expect(result.stderr.contains("clientele init"))
        }
    }

    @Test("verify exits non-zero and names the event whose byte was flipped")
    func tamper() throws {
        let dir = try TempFolder("tamper"); defer { dir.remove() }
        let db = dir.path + "/ledger"
        _ = try ClienteleBinary.run(["init", "--db", db])
        _ = try ClienteleBinary.run(["append", "--db", db], input: (1...40).map { eventLine($0) }.joined(separator: "\n"))
        // Flip one byte of event 27 with LMDB itself, as anyone with the LMDB tools could.
        let env = try Environment(path: db)
        let log = try env.database("log", create: false)
        try env.write { (txn: borrowing Transaction) throws in
            var key = UInt64(27).bigEndian
            try withUnsafeBytes(of: &key) { k in
                var value = [UInt8](try txn.get(log, key: k)!)
                value[value.count / 2] ^= 0x20
                try value.withUnsafeBytes { try txn.put(log, key: k, value: $0) }
            }
        }
        env.close()
        let result = try ClienteleBinary.run(["verify", "--db", db, "--json"])
        #expect(result.status == 1)
        let object = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any]
        #expect(object?["firstBadSequence"] as? Int == 27)
        #expect(object?["sound"] as? Bool == false)
        let human = try ClienteleBinary.run(["verify", "--db", db])
        #expect(human.stdout.contains("the first bad event is 27"))
    }

    @Test("an observation type that another process adds while this one has the ledger open counts here at once")
    func observationTypesAddedByAnotherProcess() throws {
        let dir = try TempFolder("adopt"); defer { dir.remove() }
        let db = dir.path + "/ledger"
        var options = LedgerOptions()
        options.create = true // and no observation types: every event a change, for now
        let ledger = try Ledger(path: db, options: options)
        defer { ledger.close() }
        func event(_ type: String) -> NewEvent {
            NewEvent(type: type, customer: "C1", store: "S1", actor: "staff-1", channel: "counter",
                     occurredAt: Timestamp(microseconds: 1_795_000_000_000_000, offsetMinutes: 480), payload: Array("{}".utf8))
        }
        #expect(try ledger.appendAndWait([event("VisitRecorded")])[0].get().streamVersion == 1)
        // The catalog's open (here `clientele events`, in a child process) adds PersonalDataAccessed from the next event on.
        #expect(try ClienteleBinary.run(["events", "--db", db, "--customer", "C1"]).status == 0)
        let seen = try ledger.appendAndWait([event("PersonalDataAccessed")])[0].get()
        #expect(seen.streamVersion == 1, "an access record now: it takes no stream position")
        #expect(try ledger.streamVersion(of: "C1") == 1)
        var all: [UInt64] = []
        try ledger.scan(.customer("C1")) { all.append($0.sequence); return true }
        #expect(all == [1, 2], "returned once, not from the stream and again as an observation")
        #expect(try ledger.verify().isSound)
    }

    @Test("a ledger of the previous format is refused with what to do; upgrade rebuilds its index and verify passes")
    func upgrade() throws {
        let dir = try TempFolder("upgrade"); defer { dir.remove() }
        let db = dir.path + "/ledger"
        _ = try ClienteleBinary.run(["init", "--db", db])
        let input = (1...30).map { eventLine($0) }.joined(separator: "\n") + "\n"
        #expect(try ClienteleBinary.run(["append", "--db", db], input: input).status == 0)
        // What format 1 looked like from outside: its tag (its by_source keys were other bytes).
        let env = try Environment(path: db)
        let meta = try env.database("meta")
        let bySource = try env.database("by_source")
        try env.write { (txn: borrowing Transaction) throws in
            try txn.clear(bySource)
            try Array("format".utf8).withUnsafeBytes { k in
                try Array("clientele-ledger/1".utf8).withUnsafeBytes { try txn.put(meta, key: k, value: $0) }
            }
        }
        env.close()
        let refused = try ClienteleBinary.run(["verify", "--db", db])
        #expect(refused.status != 0)
        #expect(refused.stderr.contains("clientele upgrade --db \(db)"), "\(refused.stderr)")
        let upgraded = try ClienteleBinary.run(["upgrade", "--db", db])
        #expect(upgraded.status == 0, "\(upgraded.stderr)")
        #expect(upgraded.stdout.contains("from 'clientele-ledger/1' to 'clientele-ledger/3'") && upgraded.stdout.contains("30 events"), "\(upgraded.stdout)")
        #expect(upgraded.stdout.contains("access records from event 31 on"), "\(upgraded.stdout)")
        #expect(try ClienteleBinary.run(["verify", "--db", db]).stdout.hasPrefix("sound: 30 events"))
        #expect(try ClienteleBinary.run(["upgrade", "--db", db]).stdout.contains("nothing changed"))
        // The rebuilt index still finds every event: the same lines again are all duplicates.
        let again = try ClienteleBinary.run(["append", "--db", db, "--json"], input: input)
        #expect(again.stdout.split(separator: "\n").allSatisfy { $0.contains("\"status\":\"duplicate\"") })
    }

    @Test("bench --json prints one measurement per line with the agreed fields")
    func benchJSON() throws {
        let dir = try TempFolder("bench"); defer { dir.remove() }
        let result = try ClienteleBinary.run(["bench", "append-batch", "verify", "--events", "2000", "--batch", "500", "--dir", dir.path, "--json"])
        #expect(result.status == 0, "\(result.stderr)")
        let lines = result.stdout.split(separator: "\n")
        #expect(lines.count == 2)
        for line in lines {
            let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            for key in ["name", "events", "batch", "seconds", "events_per_second"] { #expect(object[key] != nil, "missing \(key)") }
            #expect(object["events"] as? Int == 2000)
        }
        // It cleans up after itself.
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path).isEmpty)
    }
}
