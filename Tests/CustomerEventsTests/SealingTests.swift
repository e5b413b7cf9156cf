import Testing
@testable import CustomerEvents
import Ledger
import LedgerJSON
import LMDB
import Glibc

@Suite("Personal data and erasure")
struct SealingTests {
    let registration = #"{"name":"王芳测试","phone":"13800138001","birthday":"1991-03-14","ageBand":"30-39","preferences":["wheelchair access"],"interests":["oolong tasting"],"memberCard":"VIP-88123"}"#

    @Test("personal fields are sealed in the log and unsealed for readers with the key")
    func sealed() throws {
        let t = try TestLedger("sealed"); defer { t.remove() }
        try t.append(envelope("CustomerRegistered", registration),
                     envelope("PurchaseRecorded", #"{"receipt":"R1","lines":[{"sku":"A","category":"apparel","quantity":1,"unitPrice":{"minor":29900,"currency":"CNY"}}],"total":{"minor":29900,"currency":"CNY"}}"#))
        let stored = try #require(try t.ledger.ledger.event(1))
        let raw = String(decoding: stored.payload, as: UTF8.self)
        #expect(!raw.contains("王芳测试") && !raw.contains("13800138001") && !raw.contains("1991-03-14"))
        // Free text about the person (a preference may tell their health) and the card number are theirs too.
        #expect(!raw.contains("wheelchair access") && !raw.contains("oolong tasting") && !raw.contains("VIP-88123"), "\(raw)")
        #expect(raw.contains("\"ageBand\":\"30-39\""), "coarse fields that are not personal stay readable")
        #expect(raw.contains("\"_sealed\""))
        let event = t.ledger.read(stored)
        #expect(event.personalData == .unsealed)
        let typed = try event.decode(CustomerRegisteredV1.self)
        #expect(typed.name == "王芳测试" && typed.phone == "13800138001" && typed.birthday == "1991-03-14")
        #expect(typed.preferences == ["wheelchair access"] && typed.interests == ["oolong tasting"] && typed.memberCard == "VIP-88123")
        #expect(SchemaCatalog.builtIn.validate(type: event.type, version: event.schemaVersion, payload: event.payload) == nil)
        // Without the master key, the fields read as null, and nothing else changes.
        mkdir(t.path + "/other", 0o700)
        let lockedKeys = try KeyStore(ledgerPath: t.path + "/other", masterKey: nil)
        defer { lockedKeys.close(); unlink(t.path + "/other/keys/data.mdb"); unlink(t.path + "/other/keys/lock.mdb"); rmdir(t.path + "/other/keys"); rmdir(t.path + "/other") }
        let locked = CustomerLedger(ledger: t.ledger.ledger, keys: lockedKeys)
        let blind = locked.read(stored)
        #expect(blind.personalData == .locked && blind.payload["name"] == .null && blind.payload["ageBand"] == .string("30-39"))
        #expect(!fileContains(t.path + "/data.mdb", Array("王芳测试".utf8)))
    }

    @Test("erasure destroys the key: personal fields read as erased everywhere, the rest and the chain stay")
    func erasure() throws {
        let t = try TestLedger("erase"); defer { t.remove() }
        try t.append(envelope("CustomerRegistered", registration),
                     envelope("ComplaintFiled", #"{"complaint":"CP-9","category":"price","severity":"high","description":"王芳测试 was charged twice"}"#),
                     envelope("PurchaseRecorded", #"{"receipt":"R1","lines":[{"sku":"A","category":"apparel","quantity":2,"unitPrice":{"minor":100,"currency":"CNY"}}],"total":{"minor":200,"currency":"CNY"}}"#),
                     envelope("CustomerRegistered", customer: "C2", #"{"name":"李强测试"}"#))
        guard case .active(let key) = try t.ledger.keys.key(for: "C1") else { Issue.record("no key"); return }
        let keyBytes = key.bytes
        #expect(try t.ledger.keys.destroy("C1"))
        try t.append(envelope("CustomerErased", #"{"reason":"request ER-1"}"#))

        let events = try collect(t.ledger, .customer("C1"))
        #expect(events[0].personalData == .erased && events[0].payload["name"] == .null && events[0].payload["ageBand"] == .string("30-39"))
        #expect(events[0].payload["preferences"] == .null && events[0].payload["memberCard"] == .null)
        #expect(events[1].payload["description"] == .null && events[1].payload["category"] == .string("price"))
        #expect(events[2].payload["total"] == (try JSONParser.parse(#"{"minor":200,"currency":"CNY"}"#)), "amounts stay readable")
        #expect(events[0].json["erased"] == .bool(true))
        for e in events { #expect(SchemaCatalog.builtIn.validate(type: e.type, version: e.schemaVersion, payload: e.payload) == nil, "erased form still valid") }
        // The other customer is untouched.
        #expect(try collect(t.ledger, .customer("C2"))[0].payload["name"] == .string("李强测试"))
        #expect(try t.ledger.ledger.verify().isSound)
        // New personal data under the erased id is refused.
        let again = t.ledger.appendAndWait([try JSONParser.parse(envelope("CustomerProfileUpdated", #"{"phone":"1"}"#))])
        if case .failure(.sealing(let text)) = again[0] { #expect(text.contains("erased")) } else { Issue.record("re-keyed an erased customer: \(again)") }

        // Neither the key nor the name is in any file, nor in a backup made now.
        let backup = t.path + "/backup"
        mkdir(backup, 0o700)
        try t.ledger.ledger.storage.copy(to: backup, compact: true)
        let files = [t.path + "/data.mdb", t.path + "/keys/data.mdb", backup + "/data.mdb"]
        for f in files {
            #expect(!fileContains(f, keyBytes), "key bytes in \(f)")
            #expect(!fileContains(f, Array("王芳测试".utf8)), "name in \(f)")
        }
        unlink(backup + "/data.mdb"); rmdir(backup)
    }

    func collect(_ ledger: CustomerLedger, _ query: EventQuery) throws -> [CatalogEvent] {
        var out: [CatalogEvent] = []
        try ledger.scan(query) { out.append($0); return true }
        return out
    }

    @Test("a wrong master key is a clear error, not garbage")
    func wrongMaster() throws {
        let t = try TestLedger("wrongkey"); defer { t.remove() }
        try t.append(envelope("CustomerRegistered", registration))
        t.ledger.keys.close()
        let other = try KeyStore(ledgerPath: t.path, masterKey: .generate())
        defer { other.close() }
        #expect(throws: KeyStoreError.self) { _ = try other.key(for: "C1") }
    }

    @Test("master keys load from a file or the environment; missing or malformed ones say what to do")
    func masterKeyLoading() throws {
        let key = MasterKey.generate()
        let path = "/tmp/clientele-mk-\(getpid())"
        unlink(path)
        try key.write(to: path)
        defer { unlink(path) }
        #expect(try MasterKey.load(file: path, environment: [:]).base64 == key.base64)
        #expect(try MasterKey.load(environment: ["CLIENTELE_MASTER_KEY": key.base64]).base64 == key.base64)
        #expect(throws: MasterKey.LoadError.self) { _ = try MasterKey.load(environment: [:]) }
        do { _ = try MasterKey.load(environment: ["CLIENTELE_MASTER_KEY": "short"]) } catch { #expect(error.description.contains("keygen")) }
        #expect(throws: MasterKey.LoadError.self) { try key.write(to: path) }
    }
}

