import Foundation
import Testing

/// `--as-of TIME|SEQ` on every read command: a time (business time: the events that occurred by
/// then) or a sequence number (what the ledger knew then), read from the state at that point.
@Suite("--as-of on the read commands")
struct AsOfCommandTests {
    @Test("every read command takes a time or a sequence number, and refuses anything else naming --as-of")
    func everyCommand() throws {
        let dir = try TempFolder("as-of-all"); defer { dir.remove() }
        let ledger = try Self.ledger(dir)
        let commands: [[String]] = [
            ["customer", "C-1"], ["segments"], ["churn"], ["complaints"], ["report", "daily", "--store", "S1", "--date", "2026-01-08"],
            ["satisfaction"], ["staff"], ["care-agenda"], ["consent", "--customer", "C-1", "--purpose", "marketing", "--channel", "sms"],
        ]
        for command in commands {
            for good in ["3", "2026-01-09T00:00:00+08:00", "2100-01-01T00:00:00Z"] {
                let r = try ledger.run(command + ["--as-of", good])
                // The churn model cannot be fitted on one customer: that is its answer, not a refusal of --as-of.
                let answered = r.status == 0 || (command == ["churn"] && r.stderr.contains("cannot be fitted"))
                #expect(answered && !r.stderr.contains("--as-of"), "\(command) --as-of \(good): \(r.status) \(r.stderr)")
            }
            // Past the head of the log: answered (everything the ledger holds), with a note.
            let past = try ledger.run(command + ["--as-of", "999999"])
            #expect(past.status == 0 || command == ["churn"] || command == ["consent", "--customer", "C-1", "--purpose", "marketing", "--channel", "sms"],
                    "\(command) --as-of 999999: \(past.status) \(past.stderr)")
            #expect(past.stderr.contains("note: --as-of 999999 is past the ledger's last event"), "\(command): \(past.stderr)")
            for bad in ["yesterday", "2026-01-09", "2026-01-09T00:00:00", "-1", "1.5"] {
                let r = try ledger.run(command + ["--as-of", bad])
                #expect(r.status != 0 && r.stderr.contains("--as-of"), "\(command) --as-of \(bad): \(r.status) \(r.stderr)")
            }
        }
    }

    @Test("the complaint queue names the step left: a clock while one runs, then the callback under the close clock until the complaint is closed")
    func complaintNextStep() throws {
        let dir = try TempFolder("as-of-queue"); defer { dir.remove() }
        let ledger = try Self.ledger(dir)
        func line(_ asOf: String) throws -> [Substring] {
            let r = try ledger.run(["complaints", "--as-of", asOf])
            #expect(r.status == 0, "\(r.stderr)")
            return try #require(r.stdout.split(separator: "\n").first { $0.hasPrefix("CP-1") }, "\(r.stdout)").split(separator: " ")
        }
        // Filed, nothing done: the respond clock runs.
        #expect(try line("2026-01-08T10:30:00+08:00").contains("respond"))
        // Resolved: the callback is what is left, and the close clock runs on (four days after
        // the filing, past its 24 hours).
        let resolved = try line("2026-01-12T12:00:00+08:00")
        // (Its respond and plan clocks were missed and nobody escalated it: "!".)
        #expect(resolved.contains("resolved!") && resolved.contains("callback") && resolved.contains("breached"), "\(resolved)")
        // The CSV and the JSON name the same step.
        let csv = try ledger.run(["complaints", "--as-of", "2026-01-12T12:00:00+08:00", "--format", "csv"])
        #expect(csv.stdout.contains(",resolved,callback,breached,"), "\(csv.stdout)")
        let json = try ledger.run(["complaints", "--as-of", "2026-01-12T12:00:00+08:00", "--format", "json"])
        #expect(json.stdout.contains(#""nextStep":"callback""#), "\(json.stdout)")
    }

    @Test("the queue's table marks escalated, due-escalation and reopened complaints, with a legend; the CSV says each")
    func complaintMarks() throws {
        let dir = try TempFolder("queue-marks"); defer { dir.remove() }
        let ledger = try Self.ledger(dir)
        func event(_ type: String, _ payload: String) -> String {
            "{\"type\":\"\(type)\",\"customer\":\"C-1\",\"store\":\"S1\",\"actor\":\"staff-1\",\"channel\":\"counter\",\"occurredAt\":\"2026-01-20T10:00:00+08:00\",\"payload\":\(payload)}"
        }
        let more = [
            event("ComplaintFiled", #"{"complaint":"CP-2","category":"product-quality","severity":"high"}"#),
            event("ComplaintEscalated", #"{"complaint":"CP-2","reason":"severe"}"#),
            event("ComplaintReopened", #"{"complaint":"CP-1","reason":"refund never arrived"}"#),
            event("ComplaintResolved", #"{"complaint":"CP-1","resolution":"refund sent again"}"#),
            event("ComplaintFiled", #"{"complaint":"CP-3","category":"environment","severity":"medium"}"#),
            event("ComplaintFiled", #"{"complaint":"CP-4","category":"product-quality","severity":"critical"}"#),
        ]
        let appended = try ledger.run(["append"], input: more.joined(separator: "\n") + "\n")
        #expect(appended.status == 0, "\(appended.stderr)")
        let table = try ledger.run(["complaints", "--status", "all", "--as-of", "2026-01-20T10:30:00+08:00"])
        #expect(table.status == 0, "\(table.stderr)")
        let rows = table.stdout.split(separator: "\n")
        let cp1 = try #require(rows.first { $0.hasPrefix("CP-1") }), cp2 = try #require(rows.first { $0.hasPrefix("CP-2") })
        let cp3 = try #require(rows.first { $0.hasPrefix("CP-3") }), cp4 = try #require(rows.first { $0.hasPrefix("CP-4") })
        // CP-1's first round missed its respond and plan targets and nobody escalated it.
        #expect(cp1.contains("resolved!*") && !cp1.contains("^"), "\(table.stdout)")
        #expect(cp2.contains("filed^") && !cp2.contains("*") && !cp2.contains("!"), "severe but escalated: \(table.stdout)")
        #expect(cp3.contains("filed ") && !cp3.contains("!") && !cp3.contains("^"), "medium and on time: \(table.stdout)")
        #expect(cp4.contains("filed!"), "critical: \(table.stdout)")
        #expect(rows.contains("^ escalated · ! escalation due · * reopened before"), "\(table.stdout)")
        let due = try ledger.run(["complaints", "--escalation-due", "--as-of", "2026-01-20T10:30:00+08:00", "--format", "json"])
        #expect(try Self.lines(due.stdout).compactMap { $0["complaint"] as? String }.sorted() == ["CP-1", "CP-4"], "\(due.stdout)")
        // No severity due by itself: only the late one.
        let config = dir.path + "/config.json"
        FileManager.default.createFile(atPath: config, contents: Data(#"{"sla":{"escalateSeverities":[]}}"#.utf8))
        let lateOnly = try ledger.run(["complaints", "--escalation-due", "--as-of", "2026-01-20T10:30:00+08:00", "--format", "json", "--config", config])
        #expect(try Self.lines(lateOnly.stdout).compactMap { $0["complaint"] as? String } == ["CP-1"], "\(lateOnly.stdout) \(lateOnly.stderr)")
        FileManager.default.createFile(atPath: config, contents: Data(#"{"sla":{"escalateSeverities":["urgent"]}}"#.utf8))
        let bad = try ledger.run(["complaints", "--config", config])
        #expect(bad.status != 0 && bad.stderr.contains("escalateSeverities"), "a bad severity names the key: \(bad.stderr)")
        #expect(rows.allSatisfy { $0.count <= 80 }, "\(table.stdout)")
        let csv = try ledger.run(["complaints", "--status", "all", "--as-of", "2026-01-20T10:30:00+08:00", "--format", "csv"])
        #expect(csv.stdout.hasPrefix("complaint,customer,store,category,severity,status,next_step,state,minutes_left,escalated,escalation_due,reopened\r\n") || csv.stdout.hasPrefix("complaint,customer,store,category,severity,status,next_step,state,minutes_left,escalated,escalation_due,reopened\n"), "\(csv.stdout)")
        #expect(csv.stdout.contains(",yes,no,0") && csv.stdout.contains(",no,yes,1"), "\(csv.stdout)")
    }

    @Test("consent as of a time or a sequence number: the decisions recorded by then")
    func consent() throws {
        let dir = try TempFolder("as-of-consent"); defer { dir.remove() }
        let ledger = try Self.ledger(dir)
        func allowed(_ asOf: String) throws -> Bool {
            let r = try ledger.run(["consent", "--customer", "C-1", "--purpose", "marketing", "--channel", "sms", "--as-of", asOf])
            #expect(r.status == 0 || r.status == 1, "--as-of \(asOf): \(r.status) \(r.stderr)")
            return r.status == 0
        }
        #expect(try !allowed("0"), "sequence 0 holds nothing")
        #expect(try !allowed("1"))
        #expect(try allowed("2"))
        #expect(try !allowed("2026-01-06T09:00:00+08:00"))
        #expect(try allowed("2026-01-06T11:00:00+08:00"))
    }

    @Test("care-agenda as of a time or a sequence number plans from the customers, consents and complaints of that point")
    func careAgenda() throws {
        let dir = try TempFolder("as-of-care"); defer { dir.remove() }
        let ledger = try Self.ledger(dir)
        func tasks(_ asOf: String) throws -> [String] {
            let r = try ledger.run(["care-agenda", "--as-of", asOf, "--format", "json"])
            #expect(r.status == 0, "--as-of \(asOf): \(r.stderr)")
            return try Self.lines(r.stdout).compactMap { t in
                guard let task = t["task"] as? String, task != "win-back" else { return nil }
                return "\(task) \(t["customer"] as? String ?? "") \(t["birthday"] as? String ?? t["complaint"] as? String ?? "")"
            }
        }
        // Before the consent: nobody may be greeted, and the complaint was not filed yet.
        #expect(try tasks("2026-01-05T12:00:00+08:00") == [])
        // The week of the 10th holds the birthday; the complaint is not resolved yet.
        #expect(try tasks("2026-01-10T09:00:00+08:00") == ["birthday-greeting C-1 01-14"])
        // On the 13th it is resolved, so its callback is due.
        #expect(try tasks("2026-01-13T09:00:00+08:00") == ["birthday-greeting C-1 01-14", "callback C-1 CP-1"])
        // As of a sequence number: the week starts when that event was recorded (now), so only the callbacks are sure.
        #expect(try tasks("0") == [])
        #expect(try tasks("1") == [], "registered, but no consent to greet them")
        #expect(try tasks("3").filter { $0.hasPrefix("callback") } == [], "filed, not resolved")
        #expect(try tasks("4").filter { $0.hasPrefix("callback") } == ["callback C-1 CP-1"])
        let table = try ledger.run(["care-agenda", "--as-of", "2026-01-10T09:00:00+08:00"])
        #expect(table.status == 0 && table.stdout.contains("Care agenda from 2026-01-10"), "\(table.stdout)")
    }

    @Test("report daily, satisfaction and staff as of a time or a sequence number")
    func reports() throws {
        let dir = try TempFolder("as-of-reports"); defer { dir.remove() }
        let ledger = try Self.ledger(dir)
        func run(_ args: [String]) throws -> [[String: Any]] {
            let r = try ledger.run(args + ["--format", "json"])
            #expect(r.status == 0, "\(args): \(r.stderr)")
            return try Self.lines(r.stdout)
        }
        func opened(_ asOf: String?) throws -> Int? {
            let day = try run(["report", "daily", "--store", "S1", "--date", "2026-01-08"] + (asOf.map { ["--as-of", $0] } ?? []))
            return (day.first?["summary"] as? [String: Any])?["complaintsOpened"] as? Int
        }
        #expect(try opened("2") == 0)
        #expect(try opened("3") == 1)
        #expect(try opened("2026-01-08T09:00:00+08:00") == 0)
        #expect(try opened("2026-01-08T12:00:00+08:00") == 1)
        #expect(try opened(nil) == 1)

        func callbacks(_ asOf: String) throws -> [String] {
            try run(["satisfaction", "--as-of", asOf]).map { "\($0["store"] as? String ?? "") \($0["callbacks"] as? Int ?? -1)" }
        }
        #expect(try callbacks("4") == [])
        #expect(try callbacks("5") == ["S1 1"])
        #expect(try callbacks("2026-01-13T09:00:00+08:00") == [])
        #expect(try callbacks("2026-01-13T12:00:00+08:00") == ["S1 1"])

        func staff(_ asOf: String) throws -> [String] {
            // Who handled (the filer is listed apart, with complaintsFiled).
            try run(["staff", "--as-of", asOf]).filter { ($0["complaintsHandled"] as? Int ?? 0) > 0 }
                .map { "\($0["staff"] as? String ?? "") \($0["complaintsHandled"] as? Int ?? -1)" }
        }
        // Resolving the complaint (4, on the 12th) is the first step that makes staff-1 its handler.
        #expect(try staff("3") == [])
        #expect(try staff("4") == ["staff-1 1"])
        #expect(try staff("2026-01-12T09:00:00+08:00") == [])
        #expect(try staff("2026-01-12T12:00:00+08:00") == ["staff-1 1"])
    }

    // MARK: Controls

    /// A ledger (with its master key) in `dir` holding C-1 of S1, born on 14 January: registered (1),
    /// marketing consent by SMS (2), complaint CP-1 filed (3) and resolved (4), a callback with
    /// CSAT 5 (5); they occurred on 5, 6, 8, 12 and 13 January 2026 at 10:00 (+08:00).
    /// - Returns: the `--db` argument and the environment naming the master key (not every command takes `--master-key-file`).
    @Test("the daily report of a store the ledger has never seen is refused, naming its stores; a quiet day is zeros")
    func unknownStore() throws {
        let dir = try TempFolder("unknown-store"); defer { dir.remove() }
        let ledger = try Self.ledger(dir)
        // A reading of C-1's personal data is recorded at the pseudo-store "chain" (head office):
        // no shop, so neither listed among the stores nor reported on.
        let read = try ledger.run(["customer", "C-1"])
        #expect(read.status == 0, "\(read.stderr)")
        let typo = try ledger.run(["report", "daily", "--store", "S-1", "--date", "2026-01-08"])
        #expect(typo.status != 0 && typo.stderr.contains("no store 'S-1'") && typo.stderr.contains("its stores: S1\n"), "\(typo.stderr)")
        #expect(typo.stdout.isEmpty)
        let chain = try ledger.run(["report", "daily", "--store", "chain", "--date", "2026-01-08"])
        #expect(chain.status != 0 && chain.stderr.contains("'chain' is no shop") && chain.stderr.contains("its stores: S1\n"), "\(chain.stderr)")
        let quiet = try ledger.run(["report", "daily", "--store", "S1", "--date", "2026-02-01", "--format", "json"])
        #expect(quiet.status == 0, "\(quiet.stderr)")
        #expect(quiet.stdout.contains("\"visits\":0"))
    }

    @Test("the daily report without --date is of the store's today, or of the day of a --as-of time")
    func dailyDefaultsToToday() throws {
        let dir = try TempFolder("daily-today"); defer { dir.remove() }
        let ledger = try Self.ledger(dir)
        func report(_ args: [String]) throws -> [String: Any] {
            let r = try ledger.run(["report", "daily", "--store", "S1", "--format", "json"] + args)
            #expect(r.status == 0, "\(r.stderr)")
            return try #require(try Self.lines(r.stdout).first)
        }
        // The complaint filed at 10:00 on the 8th (+08:00, the default opening hours' zone).
        let asOf = try report(["--as-of", "2026-01-08T12:00:00+08:00"])
        #expect(asOf["date"] as? String == "2026-01-08")
        #expect((asOf["summary"] as? [String: Any])?["complaintsOpened"] as? Int == 1)
        // 23:30 UTC on the 7th is already the 8th in the store.
        #expect(try report(["--as-of", "2026-01-07T23:30:00Z"])["date"] as? String == "2026-01-08")
        let today = DateFormatter()
        today.dateFormat = "yyyy-MM-dd"
        today.timeZone = TimeZone(secondsFromGMT: 8 * 3600)
        #expect(try report([])["date"] as? String == today.string(from: Date()))
    }

    static func ledger(_ dir: TempFolder) throws -> Fixture {
        let db = dir.path + "/ledger", key = dir.path + "/master.key"
        #expect(try ClienteleBinary.run(["keygen", "--out", key]).status == 0)
        let ledger = Fixture(db: ["--db", db], environment: ["CLIENTELE_MASTER_KEY_FILE": key])
        #expect(try ledger.run(["init"]).status == 0)
        func event(_ type: String, _ day: Int, _ payload: String, actor: String = "staff-1") -> String {
            "{\"type\":\"\(type)\",\"customer\":\"C-1\",\"store\":\"S1\",\"actor\":\"\(actor)\",\"channel\":\"counter\",\"occurredAt\":\"2026-01-\(day < 10 ? "0" : "")\(day)T10:00:00+08:00\",\"payload\":\(payload)}"
        }
        let lines = [
            event("CustomerRegistered", 5, #"{"name":"王芳","birthday":"1991-01-14"}"#),
            event("ConsentGranted", 6, #"{"purpose":"marketing","channel":"sms","policyVersion":"2026-01"}"#),
            event("ComplaintFiled", 8, #"{"complaint":"CP-1","category":"price","severity":"low"}"#),
            event("ComplaintResolved", 12, #"{"complaint":"CP-1","resolution":"refunded"}"#),
            event("CallbackLogged", 13, #"{"reached":true,"csat":5,"nps":9,"complaint":"CP-1","purpose":"complaint"}"#, actor: "staff-2"),
        ]
        let appended = try ledger.run(["append"], input: lines.joined(separator: "\n") + "\n")
        #expect(appended.status == 0, "\(appended.stderr)")
        #expect(appended.stdout.split(separator: "\n").compactMap { $0.split(separator: " ").first.map(String.init) } == ["1", "2", "3", "4", "5"], "\(appended.stdout)")
        return ledger
    }

    /// A test's ledger: `clientele` runs on it with its master key.
    struct Fixture {
        let db: [String]
        let environment: [String: String]
        func run(_ args: [String], input: String = "") throws -> ClienteleBinary.Output {
            try ClienteleBinary.run(args + db, input: input, environment: environment)
        }
    }

    /// Each JSON line of `text` as an object.
    static func lines(_ text: String) throws -> [[String: Any]] {
        try text.split(separator: "\n").map { try #require(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]) }
    }
}
