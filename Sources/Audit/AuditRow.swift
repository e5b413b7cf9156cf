import Ledger
import LedgerJSON
import CustomerEvents

/// One line of an audit answer: an event, what it means for the question, and whether it is a finding.
public struct AuditRow: Sendable {
    /// What the row is for the question: `event`, `access`, `consent`, `erasure` or `contact`.
    public var kind: String
    /// The event's envelope.
    public var recorded: RecordedEvent
    /// The payload as shown (unsealed for a customer audit; personal fields left out otherwise).
    public var payload: JSONValue
    /// The event in a few words, for people.
    public var detail: String
    /// A finding the auditor must look at (e.g. a contact after a consent withdrawal); nil when none.
    public var flag: String?

    public init(kind: String, recorded: RecordedEvent, payload: JSONValue, detail: String, flag: String? = nil) {
        self.kind = kind
        self.recorded = recorded
        self.payload = payload
        self.detail = detail
        self.flag = flag
    }

    /// The columns of the table and CSV forms.
    public static let columns = ["sequence", "occurredAt", "recordedAt", "type", "customer", "store", "actor", "channel", "kind", "flag", "detail", "payload"]

    /// The row's cells, in `columns` order.
    public var cells: [String] {
        let r = recorded
        var w = JSONWriter(capacity: 128)
        w.write(payload)
        return [String(r.sequence), r.occurredAt.iso8601, r.recordedAt.iso8601, r.type, r.customer, r.store, r.actor, r.channel,
                kind, flag ?? "", detail, w.text]
    }

    /// The row as one JSON object: the event's read form (schemas/envelope.schema.json) under
    /// `event`, with `kind`, `detail` and `flag` beside it.
    public func write(into w: inout JSONWriter) {
        let r = recorded
        w.raw("{\"kind\":"); w.string(kind)
        w.raw(",\"flag\":"); if let flag { w.string(flag) } else { w.raw("null") }
        w.raw(",\"detail\":"); w.string(detail)
        w.raw(",\"event\":{\"sequence\":"); w.number(r.sequence)
        w.raw(",\"streamVersion\":"); w.number(UInt64(r.streamVersion))
        w.raw(",\"type\":"); w.string(r.type)
        w.raw(",\"schemaVersion\":"); w.number(UInt64(r.schemaVersion))
        w.raw(",\"customer\":"); w.string(r.customer)
        w.raw(",\"store\":"); w.string(r.store)
        w.raw(",\"actor\":"); w.string(r.actor)
        w.raw(",\"channel\":"); w.string(r.channel)
        w.raw(",\"occurredAt\":\""); r.occurredAt.writeISO8601(into: &w.bytes)
        w.raw("\",\"recordedAt\":\""); r.recordedAt.writeISO8601(into: &w.bytes); w.raw("\"")
        if let s = r.source { w.raw(",\"source\":"); w.string(s.source); w.raw(",\"externalId\":"); w.string(s.externalId) }
        w.raw(",\"payload\":"); w.write(payload)
        w.raw(",\"hash\":\""); w.raw(r.chainHash.description.utf8); w.raw("\"}}")
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

    /// A few words on what an event says.
    static func detail(type: String, payload: JSONValue, personalPaths: [String] = []) -> String {
        func s(_ key: String) -> String? { payload[key]?.stringValue }
        var text: String
        switch type {
        case "PersonalDataAccessed":
            var fields: [String] = []
            if case .array(let a)? = payload["fields"] { fields = a.compactMap(\.stringValue) }
            text = "read " + (fields.isEmpty ? "personal data" : fields.joined(separator: ", ")) + " for \(s("purpose") ?? "?")"
                + (s("endpoint").map { " via \($0)" } ?? "")
        case "ConsentGranted", "ConsentWithdrawn":
            text = (type == "ConsentGranted" ? "granted " : "withdrew ") + (s("purpose") ?? "?")
                + (s("channel").map { " by \($0)" } ?? " (every channel)") + " under policy \(s("policyVersion") ?? "?")"
        case "CareContactMade":
            text = "\(s("kind") ?? "contact") by \(s("channel") ?? "?")" + (s("outcome").map { ", \($0)" } ?? "")
        case "ErasureRequested", "CustomerErased":
            text = (type == "ErasureRequested" ? "erasure requested: " : "erased: ") + (s("reason") ?? "")
        default:
            var w = JSONWriter(capacity: 128)
            w.write(payload)
            text = w.text
            if text.count > 80 { text = String(text.prefix(77)) + "..." }
        }
        if !personalPaths.isEmpty { text += " [personal fields not shown: " + personalPaths.map { String($0.dropFirst()) }.joined(separator: ", ") + "]" }
        return text
    }
}
