import Testing
@testable import CustomerEvents
import Ledger
import LedgerJSON

/// Events built in code: checked one by one, sealed in batches; and pseudonyms for contact details.
@Suite("Checked events and pseudonyms")
struct CheckedEventTests {
    let at = Timestamp(iso8601: "2026-11-21T10:00:00+08:00")!

    func event(_ type: String, customer: String = "C1", version: UInt16 = 1, channel: String = "pos") -> NewEvent {
        NewEvent(type: type, schemaVersion: version, customer: customer, store: "SH-001", actor: "pos-import", channel: channel,
                 occurredAt: at, source: SourceReference(source: "pos:test:SH-001", externalId: "\(type)/\(customer)"), payload: [])
    }

    @Test("check names the field at fault, like an appended JSON line would")
    func check() throws {
        let t = try TestLedger("checked"); defer { t.remove() }
        let purchase = try JSONParser.parse(#"{"receipt":"R1","lines":[{"sku":"A","quantity":0,"unitPrice":{"minor":100,"currency":"CNY"},"category":"x"}],"total":{"minor":100,"currency":"CNY"}}"#)
        #expect(throws: EventInputError.invalid(path: "$.payload.lines[0].quantity", reason: "must be more than 0")) {
            _ = try t.ledger.check(event("PurchaseRecorded", version: 2), payload: purchase)
        }
        #expect(throws: EventInputError.invalid(path: "$.channel", reason: "'till' is not one of: counter, email, phone, pos, sms, system, web, wechat")) {
            _ = try t.ledger.check(event("VisitRecorded", channel: "till"), payload: .object([("kind", .string("walk-in"))]))
        }
        #expect(throws: EventInputError.self) { _ = try t.ledger.check(event("PurchaseRecorded", version: 9), payload: purchase) }
        var long = event("VisitRecorded")
        long.store = String(repeating: "s", count: 65)
        #expect(throws: EventInputError.invalid(path: "$.store", reason: "is 65 bytes long; at most 64 are allowed")) {
            _ = try t.ledger.check(long, payload: .object([("kind", .string("walk-in"))]))
        }
    }

    @Test("seal: personal fields sealed, one result per event in order, the same bytes as prepare")
    func seal() throws {
        let t = try TestLedger("seal"); defer { t.remove() }
        let registration = try JSONParser.parse(#"{"name":"王芳","phone":"13800138001"}"#)
        let visit = try JSONParser.parse(#"{"kind":"walk-in"}"#)
        let checked = [try t.ledger.check(event("CustomerRegistered"), payload: registration),
                       try t.ledger.check(event("VisitRecorded"), payload: visit)]
        let sealed = t.ledger.seal(checked)
        #expect(sealed.count == 2)
        let first = try sealed[0].get(), second = try sealed[1].get()
        let text = String(decoding: first.payload, as: UTF8.self)
        #expect(text.contains("\"_sealed\"") && !text.contains("王芳") && !text.contains("13800138001"))
        #expect(String(decoding: second.payload, as: UTF8.self) == #"{"kind":"walk-in"}"#)
        let receipts = t.ledger.ledger.appendAndWait([first, second])
        let stored = try #require(try t.ledger.ledger.event(try receipts[0].get().sequence))
        #expect(t.ledger.read(stored).payload["name"] == .string("王芳"))
        // An erased customer's personal data fails alone.
        #expect(try t.ledger.keys.destroy("C1"))
        let again = t.ledger.seal([try t.ledger.check(event("CustomerRegistered"), payload: registration),
                                   try t.ledger.check(event("VisitRecorded", customer: "C2"), payload: visit)])
        guard case .failure(.sealing(let why)) = again[0] else { Issue.record("\(again[0])"); return }
        #expect(why.contains("erased"))
        #expect((try? again[1].get()) != nil)
    }

    @Test("pseudonyms: stable for a key and purpose, different otherwise, 32 hex digits")
    func pseudonyms() {
        let key = MasterKey.generate()
        let p = Pseudonymizer(masterKey: key, purpose: "pos-customer")
        let a = p("email:ann@example.com")
        #expect(a.count == 32 && a.allSatisfy { $0.isHexDigit && !$0.isUppercase })
        #expect(a == Pseudonymizer(masterKey: key, purpose: "pos-customer")("email:ann@example.com"))
        #expect(a != p("email:bob@example.com"))
        #expect(a != Pseudonymizer(masterKey: key, purpose: "other")("email:ann@example.com"))
        #expect(a != Pseudonymizer(masterKey: .generate(), purpose: "pos-customer")("email:ann@example.com"))
    }
}
