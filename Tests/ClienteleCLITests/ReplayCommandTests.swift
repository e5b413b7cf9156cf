import CustomerEvents
import Foundation
import LedgerJSON
import Testing

@Suite("Replay for analysts", .serialized)
struct ReplayCommandTests {
    @Test("pseudonymous replay holds no name, phone or customer id, is byte-identical across runs and valid against the schemas")
    func pseudonymous() throws {
        let ledger = try GeneratedLedger("replay", generate: ["--customers", "120", "--days", "300", "--seed", "8"]); defer { ledger.remove() }
        let (dir, db, key) = (ledger.dir, ledger.db, ledger.key)
        let env = ["CLIENTELE_MASTER_KEY_FILE": key]
        let analyst = env.merging(["CLIENTELE_TOKEN": try ClienteleBinary.run(["token", "create", "--db", db, "--role", "analyst", "--name", "zhao"])
            .stdout.trimmingCharacters(in: .whitespacesAndNewlines)]) { $1 }

        // What must never appear: every generated name, phone, email and customer id.
        let all = try ClienteleBinary.run(["events", "--db", db], environment: env)
        var secrets = Set<String>(), ids = Set<String>()
        for line in all.stdout.split(separator: "\n") {
            let e = try JSONSerialization.jsonObject(with: Data(line.utf8)) as! [String: Any]
            ids.insert(e["customer"] as! String)
            if let p = e["payload"] as? [String: Any] {
                for field in ["name", "phone", "email"] { if let v = p[field] as? String { secrets.insert(v) } }
            }
        }
        #expect(secrets.count > 100 && ids.count == 120)

        let runs = [
            ["replay", "--events", "--db", db],
            ["replay", "--events", "--db", db, "--format", "csv"],
            ["replay", "--model", "segments", "--db", db],
            ["replay", "--model", "tiers", "--db", db, "--format", "csv", "--until", "2025-09-30T23:59:59+08:00"],
            ["replay", "--model", "segments", "--db", db, "--compare", "--from", "2025-06-30T23:59:59+08:00", "--until", "2025-12-31T23:59:59+08:00"],
            ["replay", "--model", "complaints", "--db", db, "--format", "jsonl"],
        ]
        for args in runs {
            let first = try ClienteleBinary.run(args, environment: analyst)
            #expect(first.status == 0, "\(args): \(first.stderr)")
            #expect(!first.stdout.isEmpty)
            let second = try ClienteleBinary.run(args, environment: analyst)
            #expect(first.stdout == second.stdout, "\(args) is not byte-identical across runs")
            for s in secrets where first.stdout.contains(s) { Issue.record("\(args) shows personal data '\(s)'") }
            for id in ids where first.stdout.contains("\"\(id)\"") || first.stdout.contains(",\(id),") { Issue.record("\(args) shows customer id \(id)") }
        }

        // Every line: the read form of the envelope, a 32-hex pseudonym, a payload valid against its schema.
        let lines = try ClienteleBinary.run(["replay", "--events", "--db", db], environment: analyst).stdout.split(separator: "\n")
        // (`events` above recorded one access per customer it showed.)
        #expect(lines.count == all.stdout.split(separator: "\n").count + ids.count)
        let envelope: Set<String> = ["sequence", "streamVersion", "type", "schemaVersion", "customer", "store", "actor", "channel",
                                     "occurredAt", "recordedAt", "source", "externalId", "payload", "hash", "erased"]
        for line in lines {
            let value = try Array(line.utf8).withUnsafeBufferPointer { try JSONParser.parse($0) }
            guard case .object(let members) = value else { Issue.record("not an object: \(line)"); continue }
            #expect(members.allSatisfy { envelope.contains($0.0) })
            let customer = value["customer"]!.stringValue!
            #expect(customer.count == 32 && customer.allSatisfy { $0.isHexDigit })
            let type = value["type"]!.stringValue!, version = UInt16(value["schemaVersion"]!.int64Value!)
            if let violation = SchemaCatalog.builtIn.validate(type: type, version: version, payload: value["payload"]!) {
                Issue.record("\(type) v\(version): \(violation)")
            }
        }

        // Filters: one customer (by pseudonym in, id out), one type, a sequence window.
        let purchases = try ClienteleBinary.run(["replay", "--events", "--db", db, "--type", "PurchaseRecorded", "--until", "200"], environment: analyst)
        let kept = purchases.stdout.split(separator: "\n")
        #expect(!kept.isEmpty && kept.allSatisfy { $0.contains("\"type\":\"PurchaseRecorded\"") })

        // --param changes the answer, and a bad key is refused naming it.
        let lowVIP = try ClienteleBinary.run(["replay", "--model", "segments", "--db", db, "--param", "segments.vipSpend=1", "--param", "segments.vipFrequency=1",
                                              "--param", "segments.vipCategories=1"], environment: analyst)
        let standard = try ClienteleBinary.run(["replay", "--model", "segments", "--db", db], environment: analyst)
        #expect(lowVIP.status == 0 && lowVIP.stdout.components(separatedBy: "\"segment\":\"VIP\"").count > standard.stdout.components(separatedBy: "\"segment\":\"VIP\"").count)
        // Another RFM scheme: three levels, the analyst's names.
        let tertiles = try ClienteleBinary.run(["replay", "--model", "segments", "--db", db, "--param", "segments.rfmLevels=3",
                                                "--param", #"segments.rfmNames={"Best":["333"],"Gone":["111"]}"#], environment: analyst)
        #expect(tertiles.status == 0, "\(tertiles.stderr)")
        #expect(!tertiles.stdout.contains("\"r\":4") && !tertiles.stdout.contains("\"m\":5") && tertiles.stdout.contains("\"rfmSegment\":\"Best\""))
        let bad = try ClienteleBinary.run(["replay", "--model", "segments", "--db", db, "--param", "segments.vipSpend=lots"], environment: analyst)
        #expect(bad.status != 0 && bad.stderr.contains("vipSpend"), "\(bad.stderr)")

        // Complaints against other SLA targets: generous targets breach none, a 1-minute response target no fewer than the default.
        func breached(_ params: [String]) throws -> (count: Int, rows: Int) {
            let r = try ClienteleBinary.run(["replay", "--model", "complaints", "--db", db] + params.flatMap { ["--param", $0] }, environment: analyst)
            #expect(r.status == 0, "\(r.stderr)")
            let lines = r.stdout.split(separator: "\n")
            return (lines.filter { $0.contains("\"sla\":\"breached\"") }.count, lines.count)
        }
        let defaults = try breached([])
        let generous = try breached(["sla.targets.respondMinutes=1000000", "sla.targets.planMinutes=1000000", "sla.targets.closeMinutes=1000000"])
        let strict = try breached(["sla.targets.respondMinutes=1"])
        #expect(defaults.rows > 5 && generous.rows == defaults.rows && strict.rows == defaults.rows)
        #expect(generous.count == 0 && defaults.count > 0 && strict.count >= defaults.count, "\(generous) \(defaults) \(strict)")
        let table = try ClienteleBinary.run(["replay", "--model", "complaints", "--db", db, "--format", "table"], environment: analyst)
        #expect(table.stdout.contains("complaints as of") && table.stdout.contains("SLA"), "\(table.stdout)")

        // The plot: an SVG naming the segments.
        let svg = dir.path + "/segments.svg"
        let plotted = try ClienteleBinary.run(["replay", "--model", "segments", "--db", db, "--plot", svg, "--format", "table"], environment: analyst)
        #expect(plotted.status == 0, "\(plotted.stderr)")
        let text = try String(contentsOfFile: svg, encoding: .utf8)
        #expect(text.hasPrefix("<?xml") && text.contains("<svg") && text.contains("Champions") && text.hasSuffix("</svg>\n"))

        // Identified: refused to an analyst, naming the roles; allowed to compliance, and recorded.
        let refused = try ClienteleBinary.run(["replay", "--events", "--identified", "--db", db], environment: analyst)
        #expect(refused.status != 0 && refused.stderr.contains("may not replay with identified data: that needs one of the roles compliance, admin"))
        let compliance = env.merging(["CLIENTELE_TOKEN": try ClienteleBinary.run(["token", "create", "--db", db, "--role", "compliance", "--name", "qian"])
            .stdout.trimmingCharacters(in: .whitespacesAndNewlines)]) { $1 }
        let identified = try ClienteleBinary.run(["replay", "--events", "--identified", "--db", db, "--customer", "C0000005"], environment: compliance)
        #expect(identified.status == 0 && identified.stdout.contains("\"customer\":\"C0000005\""), "\(identified.stderr)")
        let audit = try ClienteleBinary.run(["audit", "access", "--db", db, "--format", "csv"], environment: compliance)
        #expect(audit.stdout.contains("C0000005") && audit.stdout.contains("token:qian") && audit.stdout.contains("clientele replay --identified"))

        // Usage errors name the option.
        let both = try ClienteleBinary.run(["replay", "--db", db], environment: analyst)
        #expect(both.status != 0 && both.stderr.contains("give exactly one of --events and --model NAME"))
        let noKey = try ClienteleBinary.run(["replay", "--events", "--db", db], environment: ["CLIENTELE_TOKEN": analyst["CLIENTELE_TOKEN"]!, "CLIENTELE_MASTER_KEY_FILE": ""])
        #expect(noKey.status != 0 && noKey.stderr.contains("master key"), "\(noKey.stderr)")
    }
}
