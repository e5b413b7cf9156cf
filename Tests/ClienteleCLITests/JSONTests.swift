import Testing
import Ledger
import LedgerJSON

@Suite("JSON")
struct JSONTests {
    @Test("parses and re-writes documents compactly, keeping member order")
    func roundTrip() throws {
        let text = #"{ "b": [1, -2.5e3, true, false, null], "a": "x\"y\\z\n\u00e9\ud83d\ude00", "c": {} }"#
        let value = try JSONParser.parse(text)
        var w = JSONWriter()
        w.write(value)
        #expect(w.text == #"{"b":[1,-2.5e3,true,false,null],"a":"x\"y\\z\né😀","c":{}}"#)
        #expect(try JSONParser.parse(w.text) == value)
    }

    @Test("escapes quotes, backslashes and control bytes, and copies everything else as it is")
    func escaping() throws {
        var w = JSONWriter()
        w.string("plain 王 \u{01}\u{1F}\t\"q\"\\ end")
        #expect(w.text == #""plain 王 \u0001\u001f\t\"q\"\\ end""#)
        #expect(try JSONParser.parse(w.text) == .string("plain 王 \u{01}\u{1F}\t\"q\"\\ end"))
    }

    @Test("rejects malformed text with the byte offset", arguments: [
        "{", "[1,]", "{\"a\" 1}", "01", "\"\\x\"", "{\"a\":1} x", "nul", "\"\u{01}\"", "[\"\\ud800\"]",
    ])
    func malformed(text: String) {
        #expect(throws: JSONSyntaxError.self) { _ = try JSONParser.parse(text) }
    }

    @Test("refuses nesting deeper than the limit instead of exhausting the stack")
    func deep() {
        let text = String(repeating: "[", count: 10_000) + String(repeating: "]", count: 10_000)
        #expect(throws: JSONSyntaxError.self) { _ = try JSONParser.parse(text) }
    }

    @Test("an envelope becomes a NewEvent; each fault names its field")
    func envelope() throws {
        let ok = try EventJSON.newEvent(from: try JSONParser.parse(#"""
            {"type":"PurchaseRecorded","schemaVersion":2,"customer":"C1","store":"S1","actor":"pos-import","channel":"pos",
             "occurredAt":"2026-11-23T10:15:00+08:00","source":"pos","externalId":"R1/1","expectedVersion":0,"payload":{"total":1200}}
            """#))
        #expect(ok.type == "PurchaseRecorded" && ok.schemaVersion == 2 && ok.expectedVersion == .noStream)
        #expect(ok.source == SourceReference(source: "pos", externalId: "R1/1"))
        #expect(String(decoding: ok.payload, as: UTF8.self) == #"{"total":1200}"#)
        func fault(_ text: String) -> String? {
            do { _ = try EventJSON.newEvent(from: try JSONParser.parse(text)); return nil } catch let e as EventJSONError { return e.path } catch { return "other" }
        }
        let base = #""type":"T","customer":"C","store":"S","actor":"A","channel":"c","occurredAt":"2026-11-23T10:15:00Z""#
        #expect(fault("[]") == "$")
        #expect(fault("{\(base),\"extra\":1}") == "$.extra")
        #expect(fault("{\(base),\"source\":\"pos\"}") == "$.externalId")
        #expect(fault("{\(base),\"expectedVersion\":-1}") == "$.expectedVersion")
        #expect(fault("{\(base),\"payload\":[1]}") == "$.payload")
        #expect(fault("{\(base),\"schemaVersion\":0}") == "$.schemaVersion")
        #expect(fault(#"{"type":1,"customer":"C","store":"S","actor":"A","channel":"c","occurredAt":"2026-11-23T10:15:00Z"}"#) == "$.type")
        #expect(fault("{\(base)}") == nil)
    }
}
