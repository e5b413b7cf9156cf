import Ledger
import LedgerJSON
import CustomerEvents

/// One line of an audit answer: an event, what it means for the question, and whether it is a finding.
public struct AuditRow: Sendable {
    /// What the row is for the question: `event`, `access`, `consent`, `erasure` or `contact`.
    public var kind: String
    /// The event's envelope.
    public var recorded: RecordedEvent
    /// The payload as shown, compact JSON text (unsealed for a customer audit; personal fields left out otherwise).
    public var payloadJSON: [UInt8]
    /// Personal fields the payload held but the row does not show (JSON Pointers).
    public var personalPaths: [String]
    /// A finding the auditor must look at (e.g. a contact after a consent withdrawal); nil when none.
    public var flag: String?

    public init(kind: String, recorded: RecordedEvent, payloadJSON: [UInt8], personalPaths: [String] = [], flag: String? = nil) {
        self.kind = kind
        self.recorded = recorded
        self.payloadJSON = payloadJSON
        self.personalPaths = personalPaths
        self.flag = flag
    }

    public init(kind: String, recorded: RecordedEvent, payload: JSONValue, personalPaths: [String] = [], flag: String? = nil) {
        var w = JSONWriter(capacity: 256)
        w.write(payload)
        self.init(kind: kind, recorded: recorded, payloadJSON: w.bytes, personalPaths: personalPaths, flag: flag)
    }

    /// The payload as a JSON value.
    public var payload: JSONValue {
        (try? payloadJSON.withUnsafeBufferPointer { try JSONParser.parse($0) }) ?? .object([])
    }

    /// The event in a few words, for people.
    public var detail: String { Payloads.detail(type: recorded.type, payloadJSON: payloadJSON, personalPaths: personalPaths) }

    /// The columns of the table and CSV forms.
    public static let columns = ["sequence", "occurredAt", "recordedAt", "type", "customer", "store", "actor", "channel", "kind", "flag", "detail", "payload"]

    /// The row's cells, in `columns` order.
    public var cells: [String] {
        let r = recorded
        return [String(r.sequence), r.occurredAt.iso8601, r.recordedAt.iso8601, r.type, r.customer, r.store, r.actor, r.channel,
                kind, flag ?? "", detail, String(decoding: payloadJSON, as: UTF8.self)]
    }

    /// The row as one JSON object: the event's read form (schemas/envelope.schema.json) under
    /// `event`, with `kind`, `detail` and `flag` beside it.
    public func write(into w: inout JSONWriter) {
        w.raw("{\"kind\":"); w.string(kind)
        w.raw(",\"flag\":"); if let flag { w.string(flag) } else { w.raw("null") }
        w.raw(",\"detail\":"); w.string(detail)
        // The envelope straight from the stored bytes; the payload as shown.
        w.raw(",\"event\":")
        recorded.withRecord { r in EventJSON.write(r, payload: payloadJSON, into: &w) }
        w.raw("}")
    }
}

/// Payload helpers shared by the audit questions.
enum Payloads {
    /// The payload without the sealed box, and the personal fields the box held (by JSON Pointer).
    static func withoutSealed(_ payload: JSONValue) -> (JSONValue, [String]) {
        guard case .object(var members) = payload, let i = members.firstIndex(where: { $0.0 == PersonalDataSealer.member }) else { return (payload, []) }
        let box = members.remove(at: i).1
        var paths: [String] = []
        if case .array(let a)? = box["paths"] { paths = a.compactMap(\.stringValue) }
        return (.object(members), paths)
    }

    static let summarised: Set<String> = ["PersonalDataAccessed", "ConsentGranted", "ConsentWithdrawn", "CareContactMade",
                                          "ErasureRequested", "CustomerErased"]

    /// A few words on what an event says: a sentence for the types audits ask about, else the
    /// payload's JSON cut to 80 bytes (at a character boundary).
    static func detail(type: String, payloadJSON: [UInt8], personalPaths: [String] = []) -> String {
        var text: String
        if summarised.contains(type), let payload = try? payloadJSON.withUnsafeBufferPointer({ try JSONParser.parse($0) }) {
            text = summary(type: type, payload: payload)
        } else if payloadJSON.count <= 80 {
            text = String(decoding: payloadJSON, as: UTF8.self)
        } else {
            var end = 77
            while end > 0 && payloadJSON[end] & 0xC0 == 0x80 { end -= 1 }
            text = String(decoding: payloadJSON[0..<end], as: UTF8.self) + "..."
        }
        if !personalPaths.isEmpty { text += " [personal fields not shown: " + personalPaths.map { String($0.dropFirst()) }.joined(separator: ", ") + "]" }
        return text
    }

    static func summary(type: String, payload: JSONValue) -> String {
        func s(_ key: String) -> String? { payload[key]?.stringValue }
        switch type {
        case "PersonalDataAccessed":
            var fields: [String] = []
            if case .array(let a)? = payload["fields"] { fields = a.compactMap(\.stringValue) }
            return "read " + (fields.isEmpty ? "personal data" : fields.joined(separator: ", ")) + " for \(s("purpose") ?? "?")"
                + (s("endpoint").map { " via \($0)" } ?? "")
        case "ConsentGranted", "ConsentWithdrawn":
            return (type == "ConsentGranted" ? "granted " : "withdrew ") + (s("purpose") ?? "?")
                + (s("channel").map { " by \($0)" } ?? " (every channel)") + " under policy \(s("policyVersion") ?? "?")"
        case "CareContactMade":
            return "\(s("kind") ?? "contact") by \(s("channel") ?? "?")" + (s("outcome").map { ", \($0)" } ?? "")
        default:
            return (type == "ErasureRequested" ? "erasure requested: " : "erased: ") + (s("reason") ?? "")
        }
    }
}
