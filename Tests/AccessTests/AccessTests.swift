import Testing
import Access
import LedgerJSON
import TestSupport
#if canImport(Glibc)
import Glibc
#endif

@Suite("Roles and capabilities")
struct RoleTests {
    @Test("each role holds exactly the capabilities of the role table")
    func table() {
        let expected: [Role: Set<Capability>] = [
            .clerk: [.recordEvents, .readCustomers, .readReports, .manageConsent],
            .manager: [.recordEvents, .ingestExports, .readCustomers, .readReports, .replay, .manageConsent, .verifyLedger],
            .analyst: [.readReports, .replay],
            .compliance: [.readCustomers, .readReports, .replay, .replayIdentified, .audit, .erase, .manageConsent, .verifyLedger],
            .admin: Set(Capability.allCases),
        ]
        for role in Role.allCases {
            let held = Set(Capability.allCases.filter { Principal(actor: "x", role: role).may($0) })
            #expect(held == expected[role], "\(role)")
        }
    }

    @Test("a refusal names the roles that would be allowed")
    func refusalNamesRoles() {
        let analyst = Principal(actor: "os:zhao", role: .analyst)
        #expect(throws: AccessDenied.self) { try analyst.authorize(.audit) }
        do { try analyst.authorize(.audit) } catch {
            #expect(error.description == "os:zhao (analyst) may not run audit queries: that needs one of the roles compliance, admin")
        }
        do { try analyst.authorize(.backup) } catch {
            #expect(error.description.hasSuffix("that needs the admin role"))
        }
    }

    @Test("a clerk acts only in their stores; other roles everywhere")
    func stores() {
        let clerk = Principal(actor: "token:till-1", role: .clerk, stores: ["S1", "S2"])
        #expect(clerk.mayAct(inStore: "S1"))
        #expect(!clerk.mayAct(inStore: "S3"))
        #expect(!clerk.mayAct(inStore: nil))
        #expect(throws: AccessDenied.self) { try clerk.authorize(store: "S3") }
        #expect(Principal(actor: "x", role: .clerk).mayAct(inStore: "S9"))
        #expect(Principal(actor: "x", role: .manager, stores: ["S1"]).mayAct(inStore: "S9"))
        #expect(!Principal(actor: "x", role: .analyst).seesPersonalData)
        #expect(Principal(actor: "x", role: .compliance).seesPersonalData)
    }
}

@Suite("Access grants in the configuration")
struct GrantTests {
    @Test("users map to roles and stores")
    func parses() throws {
        let json = try JSONParser.parse(#"{"users": {"mei": {"role": "clerk", "stores": ["S1"]}, "li": {"role": "Compliance"}}}"#)
        let grants = try AccessGrants.parse(json)
        #expect(grants.users["mei"] == .init(role: .clerk, stores: ["S1"]))
        #expect(grants.users["li"] == .init(role: .compliance))
        #expect(try AccessGrants.parse(nil) == AccessGrants())
    }

    @Test("a bad value names its key", arguments: [
        (#"{"users": {"mei": {"role": "boss"}}}"#, "$.access.users.mei.role"),
        (#"{"users": {"mei": {}}}"#, "$.access.users.mei.role"),
        (#"{"users": {"mei": {"role": "clerk", "stores": "S1"}}}"#, "$.access.users.mei.stores"),
        (#"{"groups": {}}"#, "$.access.groups"),
        (#"[]"#, "$.access"),
    ])
    func refuses(text: String, path: String) throws {
        let json = try JSONParser.parse(text)
        #expect { _ = try AccessGrants.parse(json) } throws: { ($0 as? AccessGrantsError)?.path == path }
    }
}

@Suite("Tokens")
struct TokenTests {
    @Test("a token is shown once, stored only as its hash, authenticates until revoked")
    func lifecycle() throws {
        let folder = TemporaryFolder("tokens")
        defer { folder.remove() }
        let store = try TokenStore(ledgerPath: folder.path)
        let (token, record) = try store.create(name: "till-1", role: .clerk, stores: ["S2", "S1"], createdBy: "os:root")
        #expect(token.hasPrefix("clt_") && token.utf8.count == 68)
        #expect(record.stores == ["S1", "S2"])
        #expect(try store.authenticate(token)?.principal == Principal(actor: "token:till-1", role: .clerk, stores: ["S1", "S2"]))
        #expect(try store.authenticate(token + "0") == nil)
        #expect(try store.authenticate("clt_" + String(repeating: "0", count: 64)) == nil)
        #expect(try store.authenticate("") == nil)

        // The token's text is nowhere in the files.
        let bytes = try contents(folder.path + "/access/data.mdb")
        #expect(!bytes.contains(Array(token.utf8)))
        #expect(!bytes.contains(Array(token.utf8.dropFirst(4).prefix(16))))

        // A second store (another process) sees the revocation at once.
        let other = try TokenStore(ledgerPath: folder.path)
        #expect(throws: TokenStoreError.self) { try store.create(name: "till-1", role: .manager, stores: [], createdBy: "os:root") }
        let revoked = try other.revoke("till-1")
        #expect(revoked.revokedAt != nil)
        #expect(try store.authenticate(token) == nil)
        #expect(try store.list().count == 1)
        // The name is free again once revoked; a revoked token cannot be revoked twice.
        _ = try store.create(name: "till-1", role: .clerk, stores: ["S1"], createdBy: "os:root")
        #expect(try store.list().count == 2)
        #expect { try store.revoke(record.id) } throws: { "\($0)".contains("no token") }
    }

    @Test("revoke by the start of the id; bad names are refused")
    func revokeById() throws {
        let folder = TemporaryFolder("tokens-id")
        defer { folder.remove() }
        let store = try TokenStore(ledgerPath: folder.path)
        let (token, record) = try store.create(name: "li@hq", role: .compliance, stores: [], createdBy: "os:root")
        try store.revoke(String(record.id.prefix(8)))
        #expect(try store.authenticate(token) == nil)
        #expect(throws: TokenStoreError.self) { try store.create(name: "bad name", role: .admin, stores: [], createdBy: "x") }
        #expect(throws: TokenStoreError.self) { try store.create(name: "", role: .admin, stores: [], createdBy: "x") }
        #expect(throws: TokenStoreError.self) { try store.revoke("nobody") }
    }

    @Test("identity: a token decides; without one the folder's owner is admin, a granted user has their role")
    func identity() throws {
        let folder = TemporaryFolder("identity")
        defer { folder.remove() }
        let store = try TokenStore(ledgerPath: folder.path)
        let (token, _) = try store.create(name: "zhao", role: .analyst, stores: [], createdBy: "os:root")
        let me = IdentityResolver.userName(uid: geteuid())
        let plain = IdentityResolver(ledgerPath: folder.path, grants: AccessGrants())
        #expect(try plain.resolve(token: token) == Principal(actor: "token:zhao", role: .analyst))
        #expect(try plain.resolve(token: nil) == Principal(actor: "os:" + me, role: .admin))
        #expect { _ = try plain.resolve(token: "clt_nope") } throws: { "\($0)".contains("revoked") }
        let granted = IdentityResolver(ledgerPath: folder.path, grants: AccessGrants(users: [me: .init(role: .clerk, stores: ["S1"])]))
        #expect(try granted.resolve(token: nil) == Principal(actor: "os:" + me, role: .clerk, stores: ["S1"]))
    }

    private func contents(_ path: String) throws -> [UInt8] {
        guard let f = fopen(path, "rb") else { return [] }
        defer { fclose(f) }
        var out: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65_536)
        while true {
            let n = fread(&chunk, 1, chunk.count, f)
            if n <= 0 { break }
            out += chunk[0..<n]
        }
        return out
    }
}

extension Array where Element == UInt8 {
    func contains(_ needle: [UInt8]) -> Bool {
        guard !needle.isEmpty, needle.count <= count else { return false }
        for i in 0...(count - needle.count) where self[i] == needle[0] && Array(self[i..<i + needle.count]) == needle { return true }
        return false
    }
}
