import Foundation
import Testing

@Suite("Customer, segments, erase and consent commands", .serialized)
struct CustomerCommandTests {
    @Test("the 360 view unseals the profile, records the access, and shows erased fields after an erasure")
    func customerView() throws {
        let ledger = try GeneratedLedger("360", generate: ["--customers", "60", "--days", "200", "--seed", "4"]); defer { ledger.remove() }
        let (db, key) = (ledger.db, ledger.key)
        let withKey = ["--db", db, "--master-key-file", key]

        let view = try ClienteleBinary.run(["customer", "C0000001", "--format", "json"] + withKey)
        #expect(view.status == 0, "\(view.stderr)")
        let doc = try #require(try JSONSerialization.jsonObject(with: Data(view.stdout.utf8)) as? [String: Any])
        let profile = try #require(doc["profile"] as? [String: Any])
        let name = try #require(profile["name"] as? String)
        #expect(!name.isEmpty)
        #expect(doc["personalData"] as? String == "unsealed")

        // The read was recorded as an access event by the OS user.
        let events = try ClienteleBinary.run(["events", "--customer", "C0000001", "--type", "PersonalDataAccessed"] + withKey)
        #expect(events.stdout.contains("\"endpoint\":\"clientele customer\""))

        let table = try ClienteleBinary.run(["customer", "C0000001"] + withKey)
        #expect(table.stdout.split(separator: "\n").allSatisfy { $0.count <= 80 })

        #expect(try ClienteleBinary.run(["erase", "--customer", "C0000001", "--reason", "ER-1"] + withKey).status == 0)
        let after = try ClienteleBinary.run(["customer", "C0000001"] + withKey)
        #expect(after.stdout.contains("(erased)"))
        #expect(!after.stdout.contains(name))
        let consent = try ClienteleBinary.run(["consent", "--db", db, "--customer", "C0000001", "--purpose", "membership"])
        #expect(consent.status == 1 && consent.stdout.contains("erased"))
        #expect(try ClienteleBinary.run(["verify", "--db", db]).status == 0)
    }

    @Test("a merged record's 360 is the person's, and erasing either record erases the person")
    func mergedRecords() throws {
        let ledger = try GeneratedLedger("360-merged", generate: ["--customers", "60", "--days", "90", "--seed", "3"]); defer { ledger.remove() }
        let withKey = ["--db", ledger.db, "--master-key-file", ledger.key]
        let merge = #"{"type":"CustomersMerged","customer":"C0000001","store":"ST-01","actor":"it-1","channel":"system","occurredAt":"2026-11-30T10:00:00+08:00","payload":{"mergedCustomer":"C0000002","reason":"same phone"}}"#
        let appended = try ClienteleBinary.run(["append"] + withKey, input: merge + "\n")
        #expect(appended.status == 0, "\(appended.stderr)")
        let view = try ClienteleBinary.run(["customer", "C0000002"] + withKey)
        #expect(view.status == 0, "\(view.stderr)")
        let lines = view.stdout.split(separator: "\n")
        #expect(lines.first?.hasSuffix("C0000001") == true && lines.contains { $0.contains("C0000002, merged into C0000001") }, "\(view.stdout)")
        #expect(lines.allSatisfy { $0.count <= 80 })
        let survivor = try ClienteleBinary.run(["customer", "C0000001", "--format", "csv"] + withKey)
        #expect(survivor.stdout.contains("merged_record,C0000002"), "\(survivor.stdout)")

        // The subject-access export asked for either record holds both records' events, and the
        // access is on both records.
        let compliance = try ClienteleBinary.run(["token", "create", "--db", ledger.db, "--role", "compliance", "--name", "qian"]).stdout
            .trimmingCharacters(in: .whitespacesAndNewlines)
        let out = ledger.dir.path + "/sar"
        let export = try ClienteleBinary.run(["audit", "export", "--customer", "C0000002", "--out", out] + withKey, environment: ["CLIENTELE_TOKEN": compliance])
        #expect(export.status == 0 && export.stdout.contains("(with the merged records C0000001)"), "\(export.stdout) \(export.stderr)")
        let exported = try String(contentsOfFile: out + "/events.jsonl", encoding: .utf8).split(separator: "\n")
        #expect(exported.contains { $0.contains(#""customer":"C0000001""#) } && exported.contains { $0.contains(#""customer":"C0000002""#) })
        #expect(try String(contentsOfFile: out + "/README.txt", encoding: .utf8).contains("Your records, merged as one person: C0000002, C0000001"))
        for id in ["C0000001", "C0000002"] {
            let trail = try ClienteleBinary.run(["events", "--customer", id, "--type", "PersonalDataAccessed", "--db", ledger.db])
            #expect(trail.stdout.contains("clientele audit export"), "\(id): \(trail.stdout)")
        }

        let erased = try ClienteleBinary.run(["erase", "--customer", "C0000002", "--reason", "ER-2"] + withKey)
        #expect(erased.status == 0, "\(erased.stderr)")
        #expect(erased.stdout.contains("Erased customer C0000001 (merged with C0000002)") && erased.stdout.contains("Erased customer C0000002:"), "\(erased.stdout)")
        for id in ["C0000001", "C0000002"] {
            let consent = try ClienteleBinary.run(["consent", "--db", ledger.db, "--customer", id, "--purpose", "membership"])
            #expect(consent.status == 1 && consent.stdout.contains("erased"), "\(id): \(consent.stdout)")
        }
        #expect(try ClienteleBinary.run(["customer", "C0000001"] + withKey).stdout.contains("(erased)"))
    }

    @Test("the 360 view shows the churn risk the churn report gives the customer, now and as of a past time")
    func customerChurn() throws {
        let ledger = try GeneratedLedger("360-churn", generate: ["--customers", "400", "--days", "365", "--seed", "4"]); defer { ledger.remove() }
        let withKey = ["--db", ledger.db, "--master-key-file", ledger.key]
        func json(_ text: String) throws -> [String: Any] {
            try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
        }
        // The report's assessments, as of a time inside the generated days (fixed, so that both
        // commands judge from the same day).
        let asOf = ["--as-of", "2025-10-01T00:00:00+08:00"]
        let report = try ClienteleBinary.run(["churn", "--format", "json", "--db", ledger.db] + asOf)
        #expect(report.status == 0, "\(report.stderr)")
        let assessed = try report.stdout.split(separator: "\n").map { try json(String($0)) }
        #expect(assessed.count > 5, "\(report.stdout)")
        for line in assessed.prefix(3) {
            let customer = try #require(line["customer"] as? String)
            let view = try json(try ClienteleBinary.run(["customer", customer, "--format", "json"] + asOf + withKey).stdout)
            let churn = try #require(view["churn"] as? [String: Any], "\(customer): \(view)")
            #expect(churn["band"] as? String == line["band"] as? String)
            #expect(churn["risk"] as? Double == line["risk"] as? Double)
            #expect(churn["probabilityAlive"] as? Double == line["probabilityAlive"] as? Double)
            #expect(churn["reasons"] as? [String] == line["reasons"] as? [String])
            #expect(churn["action"] as? String == line["action"] as? String)
        }
        // The report's CSV gives the same figures, to the same decimals, as its JSON.
        let rows = try ClienteleBinary.run(["churn", "--format", "csv", "--db", ledger.db] + asOf).stdout.split(whereSeparator: \.isNewline).dropFirst()
        #expect(rows.count == assessed.count)
        for (row, line) in zip(rows, assessed) {
            let cells = row.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
            let figures = ["risk", "probabilityAlive", "expectedPurchases"].map { (line[$0] as? NSNumber)?.stringValue }
            #expect(cells[0] == line["customer"] as? String && Array(cells[2...4]).map(Double.init) == figures.map { $0.flatMap(Double.init) }, "\(row) against \(line)")
        }
        // Now: the table and the CSV show it.
        let customer = try #require(assessed.first?["customer"] as? String)
        let table = try ClienteleBinary.run(["customer", customer] + withKey)
        #expect(table.stdout.contains("churn risk") && table.stdout.contains("win-back"), "\(table.stdout)")
        #expect(table.stdout.split(separator: "\n").allSatisfy { $0.count <= 80 })
        let csv = try ClienteleBinary.run(["customer", customer, "--format", "csv"] + withKey).stdout
        #expect(csv.contains("churn_risk,") && csv.contains("churn_action,"), "\(csv)")
        // The customer withdraws consent to profiling: no RFM segment or churn risk for them now,
        // and they leave the churn list.
        let withdrawal = #"{"type":"ConsentWithdrawn","customer":"\#(customer)","store":"ST-01","actor":"staff-1","channel":"counter","occurredAt":"\#(ISO8601DateFormatter().string(from: Date()))","source":"t","externalId":"\#(customer)-profiling","payload":{"purpose":"profiling","policyVersion":"v1"}}"#
        let appended = try ClienteleBinary.run(["append"] + withKey, input: withdrawal + "\n")
        #expect(appended.status == 0, "\(appended.stderr)")
        let unprofiled = try ClienteleBinary.run(["customer", customer] + withKey).stdout
        #expect(unprofiled.contains("not profiled (consent withdrawn)") && !unprofiled.contains("RFM") && !unprofiled.contains("win-back"), "\(unprofiled)")
        let listed = try ClienteleBinary.run(["churn", "--format", "csv", "--limit", "0", "--db", ledger.db]).stdout
        #expect(listed.contains("\r\n") && !listed.contains(customer + ","), "\(customer) is still in the churn list")
        // `consent` says so, in each format; a customer the ledger never saw is an error, not a refusal.
        let asked = ["consent", "--db", ledger.db, "--customer", customer, "--purpose", "profiling"]
        let line = try ClienteleBinary.run(asked)
        #expect(line.status == 1 && line.stdout.hasPrefix("refused: profiling consent withdrawn on "), "\(line.stdout)")
        let object = try json(try ClienteleBinary.run(asked + ["--format", "json"]).stdout)
        #expect(object["customer"] as? String == customer && object["purpose"] as? String == "profiling" && object["allowed"] as? Bool == false, "\(object)")
        #expect((object["reason"] as? String)?.hasPrefix("profiling consent withdrawn on ") == true)
        let answer = try ClienteleBinary.run(asked + ["--format", "csv"]).stdout.split(whereSeparator: \.isNewline)
        #expect(answer.count == 2 && answer[0] == "customer,purpose,channel,allowed,reason" && answer[1].hasPrefix("\(customer),profiling,,false,profiling consent withdrawn on "), "\(answer)")
        let typo = try ClienteleBinary.run(["consent", "--db", ledger.db, "--customer", "C9999999", "--purpose", "marketing"])
        #expect(typo.status == 2 && typo.stderr.contains("no customer 'C9999999'") && typo.stdout.isEmpty, "\(typo.status) \(typo.stderr)")
    }

    @Test("the ledger's own configuration file (config.toml or config.json in its folder) applies without --config")
    func ledgerConfiguration() throws {
        let ledger = try GeneratedLedger("own-config", generate: ["--customers", "200", "--days", "300"]); defer { ledger.remove() }
        func vips(_ extra: [String] = []) throws -> Int {
            let r = try ClienteleBinary.run(["segments", "--db", ledger.db, "--format", "json"] + extra)
            #expect(r.status == 0, "\(r.stderr)")
            let doc = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
            return try #require((doc["segments"] as? [String: Any])?["VIP"] as? Int)
        }
        let defaults = try vips()
        // Anyone who spent anything is a VIP under the ledger's own TOML file.
        try "# the chain's rules\n[segments]\nvipSpend = 1\n".write(toFile: ledger.db + "/config.toml", atomically: true, encoding: .utf8)
        let own = try vips()
        #expect(own > defaults, "\(own) VIPs with the ledger's config.toml, \(defaults) without")
        #expect(try vips(["--vip-spend", "1"]) == own)
        // --config still wins over it.
        let other = ledger.dir.path + "/other.json"
        try #"{"segments":{"vipSpend":1000000000}}"#.write(toFile: other, atomically: true, encoding: .utf8)
        #expect(try vips(["--config", other]) < own)
    }

    @Test("the segment mix counts the configured RFM scheme's segments, not the standard eleven")
    func configuredScheme() throws {
        let ledger = try GeneratedLedger("rfm-scheme", generate: ["--customers", "200", "--days", "300"]); defer { ledger.remove() }
        let config = ledger.dir.path + "/tertiles.json"
        try #"{"segments":{"rfmLevels":3,"rfmNames":{"Best":["333","332"],"Gone":["111"]}}}"#.write(toFile: config, atomically: true, encoding: .utf8)
        let r = try ClienteleBinary.run(["segments", "--db", ledger.db, "--format", "json", "--config", config])
        #expect(r.status == 0, "\(r.stderr)")
        let doc = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        let rfm = try #require(doc["rfm"] as? [String: Int])
        let listed = try ClienteleBinary.run(["segments", "--db", ledger.db, "--customers", "--format", "csv", "--config", config]).stdout
        // customer,segment,r,f,m,rfm_segment: the customers with an RFM segment, by it.
        var perSegment: [String: Int] = [:]
        for row in listed.split(whereSeparator: \.isNewline).dropFirst() {
            if let name = row.split(separator: ",", omittingEmptySubsequences: false).last, !name.isEmpty { perSegment[String(name), default: 0] += 1 }
        }
        #expect(rfm["Champions"] == nil && rfm["Best"] != nil && rfm["Gone"] != nil, "\(rfm)")
        #expect(rfm.values.reduce(0, +) > 100 && rfm.keys.contains { $0.count == 3 && $0.allSatisfy(\.isNumber) }, "every scored buyer counted, codes without a name by their code: \(rfm)")
        #expect(rfm.filter { $0.value > 0 } == perSegment, "the mix against the customers listed: \(rfm) \(perSegment)")
    }

    @Test("generate without a master key refuses before it appends anything")
    func generateNeedsKey() throws {
        let dir = try TempFolder("genkey"); defer { dir.remove() }
        let db = dir.path + "/ledger"
        let noKey = ["CLIENTELE_MASTER_KEY_FILE": "", "CLIENTELE_MASTER_KEY": ""]
        let generated = try ClienteleBinary.run(["generate", "--customers", "50", "--days", "60", "--db", db], environment: noKey)
        #expect(generated.status != 0)
        #expect(generated.stderr.contains("nothing was written") && generated.stderr.contains("clientele keygen"), "\(generated.stderr)")
        let stats = try ClienteleBinary.run(["stats", "--db", db, "--json"], environment: noKey)
        #expect(stats.status == 0, "\(stats.stderr)")
        #expect(stats.stdout.contains("\"events\":0"), "\(stats.stdout)")
    }

    @Test("segments prints the mix in an 80-column table, as of a past time too")
    func segments() throws {
        let ledger = try GeneratedLedger("segments", generate: ["--customers", "200", "--days", "300"]); defer { ledger.remove() }
        let db = ledger.db
        let now = try ClienteleBinary.run(["segments", "--db", db])
        #expect(now.status == 0)
        #expect(now.stdout.contains("potential") && now.stdout.contains("Champions"))
        #expect(now.stdout.split(separator: "\n").allSatisfy { $0.count <= 80 })
        let past = try ClienteleBinary.run(["segments", "--db", db, "--as-of", "2025-03-01T00:00:00+08:00", "--format", "json"])
        let doc = try #require(try JSONSerialization.jsonObject(with: Data(past.stdout.utf8)) as? [String: Any])
        #expect((doc["customers"] as? Int ?? 0) < 200)
        let bad = try ClienteleBinary.run(["segments", "--db", db, "--as-of", "last march"])
        #expect(bad.status != 0 && bad.stderr.contains("--as-of"))
    }

    @Test("the care agenda lists birthdays only of customers who accept marketing, and records reading them")
    func careAgenda() throws {
        let ledger = try GeneratedLedger("care", generate: ["--customers", "400", "--days", "365", "--seed", "6"]); defer { ledger.remove() }
        let (db, key) = (ledger.db, ledger.key)
        let withKey = ["--db", db, "--master-key-file", key]
        let agenda = try ClienteleBinary.run(["care-agenda", "--as-of", "2025-06-01T09:00:00+08:00", "--format", "json"] + withKey)
        #expect(agenda.status == 0, "\(agenda.stderr)")
        let tasks = try agenda.stdout.split(separator: "\n").map { try #require(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]) }
        let birthdays = tasks.filter { $0["task"] as? String == "birthday-greeting" }
        #expect(!birthdays.isEmpty)
        for b in birthdays {
            let customer = try #require(b["customer"] as? String)
            let day = try #require(b["birthday"] as? String)
            #expect(["06-01", "06-02", "06-03", "06-04", "06-05", "06-06", "06-07"].contains(day))
            let channel = try #require(b["channel"] as? String)
            // The agenda plans from the consents of its --as-of point, so ask as of the same point.
            let consent = try ClienteleBinary.run(["consent", "--db", db, "--customer", customer, "--purpose", "marketing", "--channel", channel,
                                                   "--as-of", "2025-06-01T09:00:00+08:00"])
            #expect(consent.status == 0, "\(customer) is greeted by \(channel) without consent: \(consent.stdout)")
        }
        let first = try #require(birthdays.first?["customer"] as? String)
        let access = try ClienteleBinary.run(["events", "--customer", first, "--type", "PersonalDataAccessed"] + withKey)
        #expect(access.stdout.contains("clientele care-agenda"))
    }
}

