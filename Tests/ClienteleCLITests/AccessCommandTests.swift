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
}
