import Ledger
import LedgerJSON
import CustomerEvents
#if canImport(Glibc)
import Glibc
#endif

/// Why a subject-access export could not be written.
public enum ExportError: Error, CustomStringConvertible, Sendable {
    /// The ledger holds no event of this customer.
    case unknownCustomer(String)
    /// The output folder exists and is not empty.
    case folderNotEmpty(String)
    /// A file could not be written.
    case io(path: String, reason: String)

    public var description: String {
        switch self {
        case .unknownCustomer(let id): return "no customer '\(id)' in the ledger"
        case .folderNotEmpty(let path): return "--out \(path) exists and is not empty; give a new or empty folder"
        case .io(let path, let reason): return "\(path): \(reason)"
        }
    }
}

/// The subject-access package (PIPL art. 45, GDPR art. 15 and 20): everything the ledger holds
/// about one customer, personal fields unsealed, in JSON and CSV, with a README saying what
/// each file holds.
public struct SubjectAccessExport: Sendable {
    /// What was written.
    public struct Summary: Sendable {
        public var customer: String
        /// Every record of the person exported: `customer` first, then the records merged with it
        /// (`CustomerMerges`; usually none).
        public var records: [String]
        public var events: Int
        public var files: [String]
        /// The store of the customer's first event (where the access is recorded).
        public var homeStore: String
        /// Whether personal fields were unsealed (false: no master key, or the customer was erased).
        public var personalData: PersonalDataSealer.Outcome
    }

    public let ledger: CustomerLedger

    public init(ledger: CustomerLedger) { self.ledger = ledger }

    /// Writes the package for `customer` into `folder` (created; must be new or empty). A record
    /// merged with others is one person: the events of every record of the group are exported,
    /// in log order.
    public func write(customer: String, to folder: String, generatedBy actor: String, at time: Timestamp = .now()) throws -> Summary {
        let merges = try CustomerMerges.read(from: ledger)
        let group = merges.members(of: merges.survivor(of: customer))
        let records = [customer] + group.filter { $0 != customer }
        var events: [CatalogEvent] = []
        for record in records { try ledger.scan(.customer(record)) { events.append($0); return true } }
        if records.count > 1 { events.sort { $0.recorded.sequence < $1.recorded.sequence } }
        guard let first = events.first(where: { $0.recorded.customer == customer }) ?? events.first else { throw ExportError.unknownCustomer(customer) }
        try makeFolder(folder)

        var personal = PersonalDataSealer.Outcome.none
        var eventsJSONL = JSONWriter(capacity: 1 << 16)
        var eventsCSV = CSV.line(["sequence", "streamVersion", "occurredAt", "recordedAt", "type", "schemaVersion", "store", "actor",
                                  "channel", "source", "externalId", "erased", "payload"])
        var profile: [(String, JSONValue)] = []
        var consents: [JSONValue] = []
        var consentsCSV = CSV.line(["sequence", "occurredAt", "change", "purpose", "channel", "policyVersion", "actor", "store"])
        var accesses: [JSONValue] = []
        var accessesCSV = CSV.line(["sequence", "occurredAt", "actor", "purpose", "endpoint", "fields"])
        var purchasesCSV = CSV.line(["sequence", "occurredAt", "type", "store", "receipt", "sku", "name", "category", "quantity", "unitPrice", "currency"])
        for e in events {
            let r = e.recorded
            if e.personalData != .none && personal != .unsealed { personal = e.personalData }
            eventsJSONL.write(e.json)
            eventsJSONL.bytes.append(0x0A)
            var payloadText = JSONWriter(capacity: 256)
            payloadText.write(e.payload)
            eventsCSV += CSV.line([String(r.sequence), String(r.streamVersion), r.occurredAt.iso8601, r.recordedAt.iso8601, r.type,
                                   String(e.schemaVersion), r.store, r.actor, r.channel, r.source?.source ?? "", r.source?.externalId ?? "",
                                   e.personalData == .erased ? "true" : "false", payloadText.text])
            func s(_ k: String) -> String { e.payload[k]?.stringValue ?? "" }
            switch e.type {
            case "CustomerRegistered", "CustomerProfileUpdated":
                // The profile of the record asked for; a merged record's is in events.jsonl.
                if r.customer == customer, case .object(let members) = e.payload {
                    for (k, v) in members {
                        if let i = profile.firstIndex(where: { $0.0 == k }) { profile[i].1 = v } else { profile.append((k, v)) }
                    }
                }
            case "ConsentGranted", "ConsentWithdrawn":
                let change = e.type == "ConsentGranted" ? "granted" : "withdrawn"
                consents.append(.object([("sequence", .number(String(r.sequence))), ("occurredAt", .string(r.occurredAt.iso8601)),
                                         ("change", .string(change)), ("purpose", .string(s("purpose"))),
                                         ("channel", e.payload["channel"] ?? .null), ("policyVersion", .string(s("policyVersion"))),
                                         ("actor", .string(r.actor)), ("store", .string(r.store))]))
                consentsCSV += CSV.line([String(r.sequence), r.occurredAt.iso8601, change, s("purpose"), s("channel"), s("policyVersion"), r.actor, r.store])
            case "PersonalDataAccessed":
                var fields: [String] = []
                if case .array(let a)? = e.payload["fields"] { fields = a.compactMap(\.stringValue) }
                accesses.append(.object([("sequence", .number(String(r.sequence))), ("occurredAt", .string(r.occurredAt.iso8601)),
                                         ("actor", .string(r.actor)), ("purpose", .string(s("purpose"))),
                                         ("endpoint", .string(s("endpoint"))), ("fields", .array(fields.map { .string($0) }))]))
                accessesCSV += CSV.line([String(r.sequence), r.occurredAt.iso8601, r.actor, s("purpose"), s("endpoint"), fields.joined(separator: " ")])
            case "PurchaseRecorded", "ReturnRecorded":
                if case .array(let lines)? = e.payload["lines"] {
                    for line in lines {
                        func l(_ k: String) -> String {
                            guard let v = line[k] else { return "" }
                            if let t = v.stringValue { return t }
                            var w = JSONWriter(); w.write(v); return w.text
                        }
                        let price = line["unitPrice"]
                        purchasesCSV += CSV.line([String(r.sequence), r.occurredAt.iso8601, r.type, r.store, s("receipt"), l("sku"), l("name"),
                                                  l("category"), l("quantity"), price?["minor"].map { v in var w = JSONWriter(); w.write(v); return w.text } ?? "",
                                                  price?["currency"]?.stringValue ?? ""])
                    }
                }
            default:
                break
            }
        }
        var profileJSON = JSONWriter()
        profileJSON.write(.object([("customer", .string(customer))]
                                  + (records.count > 1 ? [("records", .array(records.map { .string($0) }))] : [])
                                  + [("personalData", .string(personal.rawValue)), ("profile", .object(profile))]))
        profileJSON.bytes.append(0x0A)
        var profileCSV = CSV.line(["field", "value"])
        for (k, v) in profile {
            var text = v.stringValue ?? ""
            if v.stringValue == nil { var w = JSONWriter(); w.write(v); text = w.text }
            profileCSV += CSV.line([k, text])
        }
        func json(_ values: [JSONValue]) -> [UInt8] { var w = JSONWriter(); w.write(.array(values)); w.bytes.append(0x0A); return w.bytes }

        let files: [(String, [UInt8])] = [
            ("README.txt", Array(readme(customer: customer, records: records, events: events.count, personal: personal, actor: actor, time: time).utf8)),
            ("events.jsonl", eventsJSONL.bytes),
            ("events.csv", Array(eventsCSV.utf8)),
            ("profile.json", profileJSON.bytes),
            ("profile.csv", Array(profileCSV.utf8)),
            ("consents.json", json(consents)),
            ("consents.csv", Array(consentsCSV.utf8)),
            ("accesses.json", json(accesses)),
            ("accesses.csv", Array(accessesCSV.utf8)),
            ("purchases.csv", Array(purchasesCSV.utf8)),
        ]
        for (name, bytes) in files { try writeFile(folder + "/" + name, bytes) }
        return Summary(customer: customer, records: records, events: events.count, files: files.map(\.0), homeStore: first.recorded.store, personalData: personal)
    }

    private func readme(customer: String, records: [String], events: Int, personal: PersonalDataSealer.Outcome, actor: String, time: Timestamp) -> String {
        let state: String
        switch personal {
        case .unsealed, .none: state = "Personal fields (name, phone, email, birthday, notes, descriptions) are shown in clear."
        case .erased: state = "This customer was erased: their personal fields were destroyed (crypto-shredding) and read as null."
        case .locked: state = "The master key was not available: personal fields read as null."
        }
        return """
            Subject-access export for customer \(customer)\(records.count > 1 ? "\nYour records, merged as one person: " + records.joined(separator: ", ") + "; the events of each are here." : "")
            Made \(time.iso8601) by \(actor) from the Clientele ledger; \(events) events.
            \(state)
            Times are RFC 3339 with the zone of the store; money is in minor units (cents, fen) of the
            currency named beside it. CSV files are RFC 4180 (UTF-8, comma, CRLF, quoted where needed).

            events.jsonl   Every event recorded about you, one JSON object per line, in order: what happened
                           (type), when (occurredAt; recordedAt is when it was written), where (store), who
                           recorded it (actor), through what (channel), the POS reference (source,
                           externalId), the details (payload), and the event's hash in the tamper-evident
                           chain. The format is schemas/envelope.schema.json of Clientele.
            events.csv     The same events, one per row; the payload as JSON text in the last column.
            profile.json   Your profile as it stands: registration and every later update merged (of the
                           record asked for, when several are merged).
            profile.csv    The same, one field per row.
            consents.json  Every consent you gave or withdrew: purpose (membership, marketing, profiling),
            consents.csv   channel (sms, email, wechat, phone; empty = every channel), policy version, when.
            accesses.json  Every time a person read your personal data: who (actor), when, why (purpose),
            accesses.csv   through what (endpoint), which fields. This export is recorded in the ledger too.
            purchases.csv  The lines of your receipts and returns: receipt, item, category, quantity, price.

            """
    }

    private func makeFolder(_ path: String) throws {
        var st = stat()
        if stat(path, &st) == 0 {
            guard st.st_mode & S_IFMT == S_IFDIR else { throw ExportError.io(path: path, reason: "it is a file, not a folder") }
            if let dir = opendir(path) {
                defer { closedir(dir) }
                var count = 0
                while readdir(dir) != nil { count += 1 }
                if count > 2 { throw ExportError.folderNotEmpty(path) }
            }
            return
        }
        var partial = path.hasPrefix("/") ? "" : "."
        for component in path.split(separator: "/") {
            partial += "/" + component
            if mkdir(partial, 0o700) != 0 && errno != EEXIST { throw ExportError.io(path: partial, reason: String(cString: strerror(errno))) }
        }
    }

    private func writeFile(_ path: String, _ bytes: [UInt8]) throws {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw ExportError.io(path: path, reason: String(cString: strerror(errno))) }
        defer { close(fd) }
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress! + offset, bytes.count - offset) }
            if n < 0 { if errno == EINTR { continue }; throw ExportError.io(path: path, reason: String(cString: strerror(errno))) }
            offset += n
        }
    }
}
