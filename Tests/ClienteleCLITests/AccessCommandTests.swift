import Foundation
import Testing

@Suite("Tokens and roles on the command line", .serialized)
struct AccessCommandTests {
    @Test("an admin makes tokens; each role is refused what it may not do, naming the role needed; revocation is immediate")
    func roles() throws {
        let ledger = try GeneratedLedger("roles", generate: ["--customers", "40", "--days", "120", "--seed", "9"]); defer { ledger.remove() }
        let (dir, db, key) = (ledger.dir, ledger.db, ledger.key)

        func token(_ role: String, _ name: String, stores: [String] = []) throws -> String {
            let made = try ClienteleBinary.run(["token", "create", "--db", db, "--role", role, "--name", name] + stores.flatMap { ["--store", $0] })
            #expect(made.status == 0, "\(made.stderr)")
            return made.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        }
        let analyst = try token("analyst", "zhao")
        let clerk = try token("clerk", "till-9", stores: ["S9"])
        #expect(analyst.hasPrefix("clt_") && analyst != clerk)

        // The list shows names and roles, never the tokens.
        let list = try ClienteleBinary.run(["token", "list", "--db", db])
        #expect(list.status == 0 && list.stdout.contains("zhao") && list.stdout.contains("till-9") && !list.stdout.contains(analyst))

        let asAnalyst = ["CLIENTELE_TOKEN": analyst]
        let refused = try ClienteleBinary.run(["customer", "C0000001", "--db", db, "--master-key-file", key], environment: asAnalyst)
        #expect(refused.status != 0)
        #expect(refused.stderr.contains("token:zhao (analyst) may not read customers' personal data: that needs one of the roles clerk, manager, compliance, admin"))
        #expect(!refused.stderr.contains("Swift/") && !refused.stderr.contains(".swift:"))
        #expect(try ClienteleBinary.run(["segments", "--db", db], environment: asAnalyst).status == 0)
        let noTokens = try ClienteleBinary.run(["token", "create", "--db", db, "--role", "admin", "--name", "x"], environment: asAnalyst)
        #expect(noTokens.status != 0 && noTokens.stderr.contains("that needs the admin role"))

        // A clerk of S9 sees no customer of another store and may not record events there.
        let tokenFile = dir.path + "/clerk.token"
        try (clerk + "\n").write(toFile: tokenFile, atomically: true, encoding: .utf8)
        let asClerk = ["CLIENTELE_TOKEN_FILE": tokenFile]
        let other = try ClienteleBinary.run(["customer", "C0000001", "--db", db, "--master-key-file", key], environment: asClerk)
        #expect(other.status != 0 && other.stderr.contains("a clerk works only in their own store(s)"), "\(other.stderr)")
        let visit = #"{"type":"VisitRecorded","customer":"C0000001","store":"S1","actor":"staff-1","channel":"store","occurredAt":"2026-11-20T10:00:00+08:00","payload":{}}"#
        let append = try ClienteleBinary.run(["append", "--db", db], input: visit + "\n", environment: asClerk)
        #expect(append.status != 0 && append.stderr.contains("stdin:1: $.store: token:till-9 (clerk of S9) may not act on data of store S1"), "\(append.stderr)")

        // Revoked: refused at once, saying what to do.
        #expect(try ClienteleBinary.run(["token", "revoke", "--db", db, "zhao"]).status == 0)
        let revoked = try ClienteleBinary.run(["segments", "--db", db], environment: asAnalyst)
        #expect(revoked.status != 0 && revoked.stderr.contains("revoked"))
        #expect(try ClienteleBinary.run(["verify", "--db", db]).status == 0)
    }

    @Test("a clerk's token sees their own store's complaints, churn list, care agenda and day, as the service shows them")
    func clerkScope() throws {
        let ledger = try GeneratedLedger("clerk-scope", generate: ["--customers", "400", "--days", "365", "--seed", "4"]); defer { ledger.remove() }
        let db = ledger.db
        let made = try ClienteleBinary.run(["token", "create", "--db", db, "--role", "clerk", "--name", "till-1", "--store", "ST-01"])
        #expect(made.status == 0, "\(made.stderr)")
        let asClerk = ["CLIENTELE_TOKEN": made.stdout.trimmingCharacters(in: .whitespacesAndNewlines)]
        func lines(_ args: [String], _ environment: [String: String] = [:]) throws -> [[String: Any]] {
            let r = try ClienteleBinary.run(args + ["--db", db, "--format", "json"], environment: environment)
            #expect(r.status == 0, "\(args): \(r.stderr)")
            return try r.stdout.split(separator: "\n").map { try #require(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]) }
        }
        func mayRead(_ customer: String) throws -> Bool {
            try ClienteleBinary.run(["customer", customer, "--db", db], environment: asClerk).status == 0
        }

        // Complaints: those filed at ST-01, all of them; another store is refused.
        let all = try lines(["complaints", "--status", "all"])
        let mine = try lines(["complaints", "--status", "all"], asClerk)
        #expect(!mine.isEmpty && mine.allSatisfy { $0["store"] as? String == "ST-01" })
        #expect(mine.count == all.filter { $0["store"] as? String == "ST-01" }.count && mine.count < all.count)
        let other = try ClienteleBinary.run(["complaints", "--db", db, "--store", "ST-02"], environment: asClerk)
        #expect(other.status != 0 && other.stderr.contains("a clerk works only in their own store(s)"), "\(other.stderr)")

        // Churn: the model is fitted over everyone, the list holds the clerk's customers only.
        let everyone = try lines(["churn", "--limit", "0"]).compactMap { $0["customer"] as? String }
        let theirs = try lines(["churn", "--limit", "0"], asClerk).compactMap { $0["customer"] as? String }
        #expect(!theirs.isEmpty && Set(theirs).isSubset(of: Set(everyone)) && theirs.count < everyone.count)
        for customer in theirs.prefix(2) { #expect(try mayRead(customer), "\(customer)") }
        let table = try ClienteleBinary.run(["churn", "--db", db], environment: asClerk)
        #expect(table.stdout.contains("among the customers of ST-01"), "\(table.stdout)")
        let notTheirs = try #require(everyone.first { !theirs.contains($0) })
        #expect(try !mayRead(notTheirs))

        // The segment list: ranked among everyone, listing the clerk's customers.
        let listed = try ClienteleBinary.run(["segments", "--customers", "--db", db, "--format", "csv"], environment: asClerk)
        let ids = listed.stdout.split(whereSeparator: \.isNewline).dropFirst().compactMap { $0.split(separator: ",").first.map(String.init) }
        let allIds = try ClienteleBinary.run(["segments", "--customers", "--db", db, "--format", "csv"]).stdout.split(whereSeparator: \.isNewline).count - 1
        #expect(!ids.isEmpty && ids.count < allIds, "\(ids.count) of \(allIds)")
        for customer in ids.prefix(2) { #expect(try mayRead(customer), "\(customer)") }

        // The care agenda: only customers the clerk may read.
        let agenda = try lines(["care-agenda"], asClerk).compactMap { $0["customer"] as? String }
        let fullAgenda = try lines(["care-agenda"]).compactMap { $0["customer"] as? String }
        #expect(agenda.count < fullAgenda.count, "\(agenda.count) of \(fullAgenda.count)")
        for customer in Set(agenda).prefix(3) { #expect(try mayRead(customer), "\(customer)") }

        // The events: those recorded at their store.
        let events = try ClienteleBinary.run(["events", "--db", db, "--through", "3000"], environment: asClerk)
        #expect(events.status == 0, "\(events.stderr)")
        let stores = Set(try events.stdout.split(separator: "\n").map { try #require(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])["store"] as? String })
        #expect(stores == ["ST-01"], "\(stores)")

        // The daily report: their store's day, not another's.
        #expect(try ClienteleBinary.run(["report", "daily", "--db", db, "--store", "ST-01"], environment: asClerk).status == 0)
        let day = try ClienteleBinary.run(["report", "daily", "--db", db, "--store", "ST-02"], environment: asClerk)
        #expect(day.status != 0 && day.stderr.contains("a clerk works only in their own store(s)"), "\(day.stderr)")
    }
}
