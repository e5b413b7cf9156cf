import Testing
import Ledger
import LedgerJSON
import Projections

@Suite("Care agenda")
struct CareAgendaTests {
    /// Birthdays shown in the week from `now` (customer and day), on a ledger of registrations,
    /// profile updates and marketing consents.
    static func birthdays(_ events: [(String, String, String)], now: String) throws -> [String] {
        let f = try Fixture("care"); defer { f.remove() }
        var docs: [JSONValue] = []
        for (i, (type, customer, payload)) in events.enumerated() {
            docs.append(try CustomerViewTests.event(type, payload, customer: customer, id: "e\(i)"))
        }
        for c in Set(events.map(\.1)) {
            docs.append(try CustomerViewTests.event("ConsentGranted", #"{"purpose":"marketing","policyVersion":"v1"}"#, customer: c, id: "consent-\(c)"))
        }
        try f.append(docs)
        let agenda = try f.models.careAgenda(now: Timestamp(iso8601: now)!, configuration: ClienteleConfiguration())
        #expect(agenda.personalDataRead == agenda.birthdays.map(\.customer).sorted(), "the birthdays shown are the ones on record as read")
        return agenda.birthdays.map { "\($0.customer) \($0.day)" }
    }

    @Test("a corrected birthday moves the greeting; an update without one keeps it")
    func correctedBirthday() throws {
        let shown = try Self.birthdays([
            ("CustomerRegistered", "moved-out", #"{"birthday":"1990-12-09"}"#),
            ("CustomerProfileUpdated", "moved-out", #"{"birthday":"1990-05-05"}"#),
            ("CustomerRegistered", "moved-in", #"{"birthday":"1990-05-05"}"#),
            ("CustomerProfileUpdated", "moved-in", #"{"birthday":"1991-12-10"}"#),
            ("CustomerRegistered", "kept", #"{"birthday":"1985-12-11"}"#),
            ("CustomerProfileUpdated", "kept", #"{"occupation":"teacher"}"#),
        ], now: "2026-12-07T09:00:00+08:00")
        #expect(shown == ["moved-in 12-10", "kept 12-11"])
    }

    @Test("those born on 29 February are greeted on the 28th outside leap years", arguments: [
        ("2027-02-25T09:00:00+08:00", ["leapling 02-29"]), // 2027: the week holds 28 February, no 29th
        ("2028-02-25T09:00:00+08:00", ["leapling 02-29"]), // 2028: the week holds the 29th itself
        ("2027-03-01T09:00:00+08:00", []),                 // the 28th has passed
    ])
    func leapDay(now: String, expected: [String]) throws {
        #expect(try Self.birthdays([("CustomerRegistered", "leapling", #"{"birthday":"1992-02-29"}"#)], now: now) == expected)
    }

    @Test("the week's greetings come in the week's order, across the new year")
    func acrossNewYear() throws {
        let shown = try Self.birthdays([
            ("CustomerRegistered", "january", #"{"birthday":"1990-01-02"}"#),
            ("CustomerRegistered", "december", #"{"birthday":"1988-12-30"}"#),
        ], now: "2026-12-28T09:00:00+08:00")
        #expect(shown == ["december 12-30", "january 01-02"])
    }
}

@Suite("Care agenda callbacks")
struct CareAgendaCallbackTests {
    @Test("a resolved complaint is due its callback, unless its customer was erased")
    func erasedNotCalled() throws {
        let f = try Fixture("care-callbacks"); defer { f.remove() }
        var docs: [JSONValue] = []
        for c in ["kept", "gone"] {
            docs.append(try CustomerViewTests.event("ComplaintFiled", #"{"complaint":"CP-\#(c)","category":"service-attitude","severity":"low"}"#, customer: c, id: "f-\(c)"))
            docs.append(try CustomerViewTests.event("ComplaintResolved", #"{"complaint":"CP-\#(c)"}"#, customer: c, id: "r-\(c)"))
        }
        docs.append(try CustomerViewTests.event("CustomerErased", #"{"reason":"asked"}"#, customer: "gone", id: "erase"))
        try f.append(docs)
        let agenda = try f.models.careAgenda(now: Timestamp.now(), configuration: ClienteleConfiguration())
        #expect(agenda.callbacks.map(\.complaint) == ["CP-kept"])
    }
}
