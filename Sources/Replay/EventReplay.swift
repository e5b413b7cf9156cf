import Ledger
import LedgerJSON
import CustomerEvents
#if canImport(Glibc)
import Glibc
#endif

/// The events themselves, streamed as JSON Lines (the read form of schemas/envelope.schema.json,
/// each payload valid against its type's schema) or flat CSV.
///
/// Pseudonymous (the default): written straight from the stored bytes, with no parsing — the
/// customer id replaced by its pseudonym, the sealed box of personal fields left out (the
/// schemas mark none of them required), the POS reference (source, external id: it can embed a
/// customer id) left out. Identified: every event read through the catalog, upcast and unsealed.
public struct EventReplay {
    /// How the events are written.
    public enum Format: Sendable { case jsonl, csv }

    /// The CSV columns.
    public static let csvColumns = "sequence,occurredAt,recordedAt,type,schemaVersion,customer,store,actor,channel,source,externalId,payload\r\n"

    public let ledger: CustomerLedger
    public let filter: ReplayFilter
    public let format: Format
    /// Pseudonyms to write, or nil to write identified events.
    public var pseudonyms: CustomerPseudonyms?

    public init(ledger: CustomerLedger, filter: ReplayFilter, format: Format, pseudonyms: CustomerPseudonyms?) {
        self.ledger = ledger
        self.filter = filter
        self.format = format
        self.pseudonyms = pseudonyms
    }

    /// What a run wrote.
    public struct Outcome: Sendable {
        public var events: Int
        /// Customers whose personal data was written in clear (identified replays only).
        public var identifiedCustomers: [(id: String, store: String)]
    }

    /// Streams the events: `sink` gets about 1 MiB of text at a time and returns false to stop;
    /// `progress` is told the events written so far every 65,536 events.
    public mutating func run(sink: ([UInt8]) -> Bool, progress: ((Int) -> Void)? = nil) throws -> Outcome {
        var w = JSONWriter(capacity: 1 << 20 + 1 << 16)
        if format == .csv { w.raw(EventReplay.csvColumns.utf8) }
        var count = 0
        var stopped = false
        var shown: [String: String] = [:]
        let filter = self.filter
        guard !filter.isEmpty else { _ = sink(w.bytes); return Outcome(events: 0, identifiedCustomers: []) }
        if var pseudonyms {
            defer { self.pseudonyms = pseudonyms }
            let format = self.format
            try ledger.ledger.scanRecords(filter.query) { record in
                guard filter.admits(record) else { return true }
                let alias = pseudonyms.pseudonym(utf8: record.customerBytes)
                if format == .jsonl {
                    EventReplay.writePseudonymousJSON(record, customer: alias, pseudonyms: &pseudonyms, into: &w)
                    w.bytes.append(0x0A)
                } else {
                    EventReplay.writePseudonymousCSV(record, customer: alias, pseudonyms: &pseudonyms, into: &w)
                }
                count += 1
                if w.bytes.count >= 1 << 20 {
                    if !sink(w.bytes) { stopped = true; return false }
                    w.bytes.removeAll(keepingCapacity: true)
                }
                if count & 0xFFFF == 0 { progress?(count) }
                return true
            }
        } else {
            try ledger.scan(filter.query) { event in
                let ok = event.recorded.withRecord { filter.admits($0) }
                guard ok else { return true }
                if event.personalData == .unsealed && shown[event.recorded.customer] == nil { shown[event.recorded.customer] = event.recorded.store }
                if format == .jsonl {
                    w.write(event.json)
                    w.bytes.append(0x0A)
                } else {
                    EventReplay.writeIdentifiedCSV(event, into: &w)
                }
                count += 1
                if w.bytes.count >= 1 << 20 {
                    if !sink(w.bytes) { stopped = true; return false }
                    w.bytes.removeAll(keepingCapacity: true)
                }
                if count & 0xFFFF == 0 { progress?(count) }
                return true
            }
        }
        if !stopped && !w.bytes.isEmpty { _ = sink(w.bytes) }
        return Outcome(events: count, identifiedCustomers: shown.sorted { $0.key < $1.key }.map { ($0.key, $0.value) })
    }

    // MARK: Pseudonymous, from the stored bytes

    /// One event as JSON, pseudonymous, straight from its stored bytes.
    @inline(__always)
    static func writePseudonymousJSON(_ r: EventRecord, customer: [UInt8], pseudonyms: inout CustomerPseudonyms, into w: inout JSONWriter) {
        w.raw("{\"sequence\":"); w.number(r.sequence)
        w.raw(",\"streamVersion\":"); w.number(UInt64(r.streamVersion))
        w.raw(",\"type\":"); w.string(utf8: r.typeBytes)
        w.raw(",\"schemaVersion\":"); w.number(UInt64(r.schemaVersion))
        w.raw(",\"customer\":\""); w.raw(customer)
        w.raw("\",\"store\":"); w.string(utf8: r.storeBytes)
        w.raw(",\"actor\":"); w.string(utf8: r.actorBytes)
        w.raw(",\"channel\":"); w.string(utf8: r.channelBytes)
        w.raw(",\"occurredAt\":\""); r.occurredAt.writeISO8601(into: &w.bytes)
        w.raw("\",\"recordedAt\":\""); r.recordedAt.writeISO8601(into: &w.bytes)
        w.raw("\",\"payload\":")
        writePayload(r, pseudonyms: &pseudonyms, into: &w.bytes)
        w.raw(",\"hash\":\""); r.chainHash.writeHex(into: &w.bytes); w.raw("\"}")
    }

    /// One event as a CSV row, pseudonymous, straight from its stored bytes.
    static func writePseudonymousCSV(_ r: EventRecord, customer: [UInt8], pseudonyms: inout CustomerPseudonyms, into w: inout JSONWriter) {
        w.number(r.sequence); w.bytes.append(0x2C)
        r.occurredAt.writeISO8601(into: &w.bytes); w.bytes.append(0x2C)
        r.recordedAt.writeISO8601(into: &w.bytes); w.bytes.append(0x2C)
        csvCell(r.typeBytes, into: &w.bytes); w.bytes.append(0x2C)
        w.number(UInt64(r.schemaVersion)); w.bytes.append(0x2C)
        w.raw(customer); w.bytes.append(0x2C)
        csvCell(r.storeBytes, into: &w.bytes); w.bytes.append(0x2C)
        csvCell(r.actorBytes, into: &w.bytes); w.bytes.append(0x2C)
        csvCell(r.channelBytes, into: &w.bytes)
        w.raw(",,,")
        var payload: [UInt8] = []
        payload.reserveCapacity(r.payloadBytes.count)
        writePayload(r, pseudonyms: &pseudonyms, into: &payload)
        payload.withUnsafeBytes { csvCell($0, into: &w.bytes) }
        w.raw("\r\n")
    }

    static let sealedMember = Array("\"_sealed\":".utf8)
    static let mergedTypes: Set<[UInt8]> = [Array("CustomersMerged".utf8), Array("CustomersUnmerged".utf8)]

    /// The stored payload without its sealed box; for merges, the other customer's id pseudonymised.
    @inline(__always)
    static func writePayload(_ r: EventRecord, pseudonyms: inout CustomerPseudonyms, into out: inout [UInt8]) {
        let p = r.payloadBytes
        if p.isEmpty { out.append(contentsOf: [0x7B, 0x7D]); return }
        if r.typeBytes.count >= 15 && mergedTypes.contains(Array(r.typeBytes)) {
            writeMerged(p, pseudonyms: &pseudonyms, into: &out)
            return
        }
        guard let keep = sealedBoxStart(p) else { out.append(contentsOf: p); return }
        out.append(contentsOf: UnsafeRawBufferPointer(rebasing: p[0..<keep]))
        out.append(0x7D)
    }

    /// Where the sealed box begins in a stored payload (its comma, or just after the opening brace
    /// when it is the only member), or nil when there is none. The sealer writes it last; a quote
    /// after a comma or a brace is never inside a string (there a quote is escaped), so the match is
    /// structural.
    static func sealedBoxStart(_ p: UnsafeRawBufferPointer) -> Int? {
        let n = sealedMember.count
        guard p.count > n + 1 else { return nil }
        var i = p.count - n - 1
        while i >= 1 {
            if p[i] == 0x22 && p[i + 1] == 0x5F, sealedMember.withUnsafeBytes({ memcmp($0.baseAddress!, p.baseAddress! + i, n) == 0 }) {
                let before = p[i - 1]
                if before == 0x2C { return i - 1 }
                if before == 0x7B { return i }
            }
            i -= 1
        }
        return nil
    }

    private static func writeMerged(_ p: UnsafeRawBufferPointer, pseudonyms: inout CustomerPseudonyms, into out: inout [UInt8]) {
        guard var value = try? JSONParser.parse(UnsafeBufferPointer(start: p.baseAddress?.assumingMemoryBound(to: UInt8.self), count: p.count)),
              case .object(var members) = value else { out.append(contentsOf: p); return }
        members.removeAll { $0.0 == PersonalDataSealer.member }
        for i in members.indices where members[i].0 == "mergedCustomer" {
            if let id = members[i].1.stringValue { members[i].1 = .string(pseudonyms.pseudonym(id)) }
        }
        value = .object(members)
        var w = JSONWriter()
        w.write(value)
        out.append(contentsOf: w.bytes)
    }

    /// A CSV cell: as is, or quoted with its quotes doubled when it holds a comma, quote or line break.
    static func csvCell(_ b: UnsafeRawBufferPointer, into out: inout [UInt8]) {
        var needs = false
        for c in b where c == 0x2C || c == 0x22 || c == 0x0A || c == 0x0D { needs = true; break }
        guard needs else { out.append(contentsOf: b); return }
        out.append(0x22)
        for c in b { if c == 0x22 { out.append(0x22) }; out.append(c) }
        out.append(0x22)
    }

    // MARK: Identified

    static func writeIdentifiedCSV(_ e: CatalogEvent, into w: inout JSONWriter) {
        let r = e.recorded
        var payload = JSONWriter(capacity: 256)
        payload.write(e.payload)
        let cells = [String(r.sequence), r.occurredAt.iso8601, r.recordedAt.iso8601, r.type, String(e.schemaVersion), r.customer, r.store,
                     r.actor, r.channel, r.source?.source ?? "", r.source?.externalId ?? ""]
        for c in cells {
            var c = c
            c.withUTF8 { csvCell(UnsafeRawBufferPointer($0), into: &w.bytes) }
            w.bytes.append(0x2C)
        }
        payload.bytes.withUnsafeBytes { csvCell($0, into: &w.bytes) }
        w.raw("\r\n")
    }
}

/// The stored-payload cutter, for tests.
public enum EventReplayProbe {
    /// See `EventReplay.sealedBoxStart`.
    public static func sealedBoxStart(_ p: UnsafeRawBufferPointer) -> Int? { EventReplay.sealedBoxStart(p) }
}
