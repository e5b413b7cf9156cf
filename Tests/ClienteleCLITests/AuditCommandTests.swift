import Foundation
import Testing

@Suite("Audit queries and the subject-access export", .serialized)
struct AuditCommandTests {
    static func jsonLines(_ text: String) throws -> [[String: Any]] {
        try text.split(separator: "\n").map { try JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: Any] }
    }

    @Test("audit finds every access made in the test; the export round-trips every event; a contact after withdrawal is flagged")
    func auditTrail() throws {
        let ledger = try GeneratedLedger("audit", generate: ["--customers", "20", "--days", "90", "--seed", "5"]); defer { ledger.remove() }
        let (dir, db, key) = (ledger.dir, ledger.db, ledger.key)
        func token(_ role: String, _ name: String) throws -> String {
            try ClienteleBinary.run(["token", "create", "--db", db, "--role", role, "--name", name]).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        }
        let compliance = ["CLIENTELE_TOKEN": try token("compliance", "qian")]
        let analyst = ["CLIENTELE_TOKEN": try token("analyst", "zhao")]
        let env = ["CLIENTELE_MASTER_KEY_FILE": key]
        let start = try #require(Int(try ClienteleBinary.run(["stats", "--db", db, "--json"]).stdout
            .split(separator: ",").first!.split(separator: ":").last!))

        // Consent: granted, a contact, withdrawn, a contact by SMS (flagged) and one at the counter (not).
        func event(_ type: String, _ payload: String, at time: String) -> String {
            #"{"type":"\#(type)","customer":"C0000007","store":"ST-01","actor":"staff-wu","channel":"counter","occurredAt":"\#(time)","payload":\#(payload)}"#
        }
        let lines = [
            event("ConsentGranted", #"{"purpose":"marketing","channel":"sms","policyVersion":"2026-01"}"#, at: "2026-11-01T10:00:00+08:00"),
            event("CareContactMade", #"{"kind":"coupon","channel":"sms","outcome":"sent"}"#, at: "2026-11-02T10:00:00+08:00"),
            event("ConsentWithdrawn", #"{"purpose":"marketing","policyVersion":"2026-01"}"#, at: "2026-11-03T10:00:00+08:00"),
            event("CareContactMade", #"{"kind":"win-back-offer","channel":"sms","outcome":"sent"}"#, at: "2026-11-04T10:00:00+08:00"),
            event("CareContactMade", #"{"kind":"invitation","channel":"counter","outcome":"declined"}"#, at: "2026-11-05T10:00:00+08:00"),
        ]
        let appended = try ClienteleBinary.run(["append", "--db", db], input: lines.joined(separator: "\n") + "\n", environment: env)
        #expect(appended.status == 0, "\(appended.stderr)")

        // The reads of personal data this test makes, by whom and through what.
        #expect(try ClienteleBinary.run(["customer", "C0000001", "--db", db], environment: env).status == 0)
        #expect(try ClienteleBinary.run(["events", "--db", db, "--customer", "C0000002"], environment: env).status == 0)
        let trail = try ClienteleBinary.run(["audit", "customer", "C0000003", "--db", db, "--format", "jsonl"], environment: env.merging(compliance) { $1 })
        #expect(trail.status == 0, "\(trail.stderr)")
        #expect(try Self.jsonLines(trail.stdout).allSatisfy { (($0["event"] as? [String: Any])?["customer"] as? String) == "C0000003" })
        // The trail shows what `events` shows (unsealed from the stored bytes, the same text).
        let sorted = { (x: Any) in try JSONSerialization.data(withJSONObject: x, options: .sortedKeys) }
        let shown = try Self.jsonLines(try ClienteleBinary.run(["events", "--db", db, "--customer", "C0000003"], environment: env).stdout)
        let trailed = try Self.jsonLines(trail.stdout).map { $0["event"] as! [String: Any] }
        #expect(trailed.count + 1 == shown.count) // `events` shows the access the trail recorded
        for (a, b) in zip(trailed, shown) { #expect(try sorted(a["payload"]!) == sorted(b["payload"]!), "\(a["sequence"]!)") }
        let before = try ClienteleBinary.run(["events", "--db", db, "--customer", "C0000004"], environment: env)
        let out = dir.path + "/sar-C0000004"
        let export = try ClienteleBinary.run(["audit", "export", "--customer", "C0000004", "--out", out, "--db", db], environment: env.merging(compliance) { $1 })
        #expect(export.status == 0, "\(export.stderr)")

        let accesses = try ClienteleBinary.run(["audit", "access", "--db", db, "--from", String(start + 1), "--format", "jsonl"], environment: compliance)
        #expect(accesses.status == 0, "\(accesses.stderr)")
        let found = Set(try Self.jsonLines(accesses.stdout).map { row -> String in
            let e = row["event"] as! [String: Any], p = e["payload"] as! [String: Any]
            return "\(e["customer"]!) \(e["actor"]!) \(p["endpoint"]!)"
        })
        let me = "os:" + NSUserName()
        #expect(found == ["C0000001 \(me) clientele customer", "C0000002 \(me) clientele events", "C0000003 \(me) clientele events", "C0000004 \(me) clientele events",
                          "C0000003 token:qian clientele audit customer", "C0000004 token:qian clientele audit export"], "\(found)")

        // One staff member: everything they did, and whose data they read.
        let staff = try ClienteleBinary.run(["audit", "staff", "token:qian", "--db", db], environment: compliance)
        #expect(staff.status == 0 && staff.stdout.contains("read the personal data of 2 customer(s): C0000003, C0000004"), "\(staff.stdout)")
        let csv = try ClienteleBinary.run(["audit", "staff", "staff-wu", "--db", db, "--format", "csv"], environment: compliance)
        #expect(csv.stdout.split(separator: "\r\n").count == 1 + lines.count)

        // The export: every event of the customer, in JSON and CSV, personal fields unsealed, and a README.
        let exported = try Self.jsonLines(try String(contentsOfFile: out + "/events.jsonl", encoding: .utf8))
        let original = try Self.jsonLines(before.stdout)
        // (Exported after `events` recorded its own read of C0000004: that access is in the export too.)
        #expect(exported.count == original.count + 1 && !original.isEmpty)
        let bySequence = Dictionary(uniqueKeysWithValues: exported.map { ($0["sequence"] as! Int, $0) })
        for b in original {
            let a = try #require(bySequence[b["sequence"] as! Int], "event \(b["sequence"]!) is missing from the export")
            #expect(a["hash"] as? String == b["hash"] as? String && a["type"] as? String == b["type"] as? String)
            #expect(try sorted(a["payload"]!) == sorted(b["payload"]!))
        }
        #expect(exported.last?["type"] as? String == "PersonalDataAccessed")
        let eventsCSV = try String(contentsOfFile: out + "/events.csv", encoding: .utf8)
        #expect(eventsCSV.split(separator: "\r\n").count == exported.count + 1)
        let registered = original.first { $0["type"] as? String == "CustomerRegistered" }!["payload"] as! [String: Any]
        let name = try #require(registered["name"] as? String)
        #expect(try String(contentsOfFile: out + "/profile.json", encoding: .utf8).contains(name))
        let readme = try String(contentsOfFile: out + "/README.txt", encoding: .utf8)
        for file in ["events.jsonl", "events.csv", "profile.json", "consents.csv", "accesses.csv", "purchases.csv"] { #expect(readme.contains(file)) }

        // Consent: the SMS after the withdrawal is flagged, the counter contact is not; exit 1.
        let consent = try ClienteleBinary.run(["audit", "consent", "--db", db, "--format", "jsonl", "--from", "2026-11-01T00:00:00+08:00"], environment: compliance)
        #expect(consent.status == 1)
        let rows = try Self.jsonLines(consent.stdout).filter { (($0["event"] as? [String: Any])?["customer"] as? String) == "C0000007" }
        #expect(rows.map { $0["kind"] as! String } == ["consent", "contact", "contact"])
        #expect((rows[1]["flag"] as? String)?.hasPrefix("CONTACT AFTER WITHDRAWAL") == true)
        #expect(rows[2]["flag"] is NSNull)

        // Erasures.
        #expect(try ClienteleBinary.run(["erase", "--db", db, "--customer", "C0000009", "--reason", "ER-17"], environment: env).status == 0)
        let erasures = try ClienteleBinary.run(["audit", "erasures", "--db", db], environment: compliance)
        #expect(erasures.status == 0 && erasures.stdout.contains("C0000009") && erasures.stdout.contains("ER-17"), "\(erasures.stdout)")

        // Only compliance and admin may audit; the refusal names the roles.
        let refused = try ClienteleBinary.run(["audit", "access", "--db", db], environment: analyst)
        #expect(refused.status != 0 && refused.stderr.contains("may not run audit queries: that needs one of the roles compliance, admin"), "\(refused.stderr)")
        let badFrom = try ClienteleBinary.run(["audit", "access", "--db", db, "--from", "yesterday"], environment: compliance)
        #expect(badFrom.status != 0 && badFrom.stderr.contains("--from 'yesterday'"))
        #expect(try ClienteleBinary.run(["verify", "--db", db]).status == 0)
    }
}
