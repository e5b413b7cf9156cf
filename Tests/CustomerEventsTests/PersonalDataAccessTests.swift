import Testing
@testable import CustomerEvents
import Ledger
import LedgerJSON

@Suite("Records of readings of personal data")
struct PersonalDataAccessTests {
    func payload(_ event: NewEvent) throws -> JSONValue {
        try event.payload.withUnsafeBufferPointer { try JSONParser.parse($0) }
    }

    @Test("the events it makes are PersonalDataAccessed events of the catalog's current schema")
    func schema() throws {
        let catalog = SchemaCatalog.builtIn
        #expect(catalog.currentVersions[PersonalDataAccess.type] == PersonalDataAccess.schemaVersion)
        let long = String(repeating: "为", count: 150) + String(repeating: "é", count: 100)   // 250 scalars
        let cases: [PersonalDataAccess] = [
            .init(actor: "token:clerk", purpose: "customer view", endpoint: "GET /v1/customers/{customer}", fields: ["name", "phone"]),
            .init(actor: "os:alice", purpose: "", endpoint: "clientele events"),
            .init(actor: "os:alice", purpose: long, endpoint: long, fields: ["", String(repeating: "f", count: 80), "quote\"d\\"]),
        ]
        for reading in cases {
            let event = reading.event(customer: "C-1", store: "S1")
            #expect(event.type == "PersonalDataAccessed" && event.channel == "system" && event.customer == "C-1" && event.store == "S1")
            #expect(event.actor == reading.actor && event.occurredAt == reading.at && event.validate() == nil)
            let body = try payload(event)
            #expect(catalog.validate(type: event.type, version: event.schemaVersion, payload: body) == nil, "\(body)")
        }
        #expect(try payload(cases[0].event(customer: "C-1", store: "S1")) ==
                .object([("purpose", .string("customer view")), ("fields", .array([.string("name"), .string("phone")])),
                         ("endpoint", .string("GET /v1/customers/{customer}"))]))
        #expect(try payload(cases[1].event(customer: "C-1", store: "S1"))["purpose"] == .string("unspecified"))
        let clipped = try payload(cases[2].event(customer: "C-1", store: "S1"))
        #expect(clipped["purpose"]?.stringValue?.unicodeScalars.count == 200)
        #expect(clipped["fields"] == .array([.string(String(repeating: "f", count: 64)), .string("quote\"d\\")]))
        // The limit counts scalars, not bytes: 150 three-byte characters are kept whole.
        let wide = String(repeating: "为", count: 150)
        let kept = try payload(PersonalDataAccess(actor: "os:alice", purpose: wide, endpoint: "e").event(customer: "C-1", store: "S1"))
        #expect(kept["purpose"] == .string(wide))
    }

    @Test("the same event checked as a JSON document is the event made directly")
    func sameAsChecked() throws {
        let t = try TestLedger("access-record"); defer { t.remove() }
        let reading = PersonalDataAccess(actor: "token:manager", purpose: "complaint handling", endpoint: "GET /v1/customers/{customer}",
                                         fields: ["name"], at: Timestamp(microseconds: 1_750_000_000_000_000, offsetMinutes: 480))
        let direct = reading.events([("C-1", "chain"), ("C-2", "S2")])
        for event in direct {
            let document: JSONValue = .object([
                ("type", .string(event.type)), ("customer", .string(event.customer)), ("store", .string(event.store)),
                ("actor", .string(event.actor)), ("channel", .string("system")), ("occurredAt", .string(reading.at.iso8601)),
                ("payload", try payload(event)),
            ])
            let checked = try t.ledger.prepare([document])[0].get()
            #expect(checked.type == event.type && checked.schemaVersion == event.schemaVersion && checked.customer == event.customer)
            #expect(checked.store == event.store && checked.actor == event.actor && checked.channel == event.channel)
            #expect(checked.occurredAt == event.occurredAt)
            #expect(try payload(checked) == payload(event))
            #expect(checked == event, "byte for byte, as appended")
        }
    }
}
