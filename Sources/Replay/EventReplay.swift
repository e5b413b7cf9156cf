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
    }

    /// Streams the events: `sink` gets about 1 MiB of text at a time (valid only during the call)
    /// and returns false to stop; `progress` is told the events written so far every 65,536 events.
    /// An identified replay first hands `recording` the customers whose personal data the text
    /// shows for the first time: the text goes to `sink` only once it returned (it throws to stop
    /// the replay, that text unshown).
    public mutating func run(sink: (UnsafeRawBufferPointer) -> Bool, progress: ((Int) -> Void)? = nil,
                             recording: (([(id: String, store: String)]) throws -> Void)? = nil) throws -> Outcome {
        let filter = self.filter
        guard !filter.isEmpty else {
            if format == .csv { _ = EventReplay.csvColumns.utf8CString.withUnsafeBytes { sink(UnsafeRawBufferPointer(rebasing: $0.dropLast())) } }
            return Outcome(events: 0)
        }
        if let pseudonyms {
            let table = PseudonymTable(pseudonyms)
            defer { self.pseudonyms = table.made }
            return try runPseudonymous(filter, table: table, sink: sink, progress: progress)
        }
        return try runIdentified(filter, sink: sink, progress: progress, recording: recording)
    }

    private func runPseudonymous(_ filter: ReplayFilter, table: PseudonymTable, sink: (UnsafeRawBufferPointer) -> Bool,
                                 progress: ((Int) -> Void)?) throws -> Outcome {
        let out = LineBuffer(capacity: 1 << 20 + 1 << 16)
        if format == .csv { out.raw("sequence,occurredAt,recordedAt,type,schemaVersion,customer,store,actor,channel,source,externalId,payload\r\n") }
        var count = 0
        var stopped = false
        let jsonl = format == .jsonl
        try ledger.ledger.scanRecords(filter.query) { record in
            guard filter.admits(record) else { return true }
            if jsonl {
                EventReplay.writePseudonymousJSON(record, table: table, into: out)
            } else {
                EventReplay.writePseudonymousCSV(record, table: table, into: out)
            }
            count += 1
            if out.count >= 1 << 20 {
                if !sink(out.written) { stopped = true; return false }
                out.reset()
            }
            if count & 0xFFFF == 0 { progress?(count) }
            return true
        }
        if !stopped && out.count > 0 { _ = sink(out.written) }
        return Outcome(events: count)
    }

    private func runIdentified(_ filter: ReplayFilter, sink: (UnsafeRawBufferPointer) -> Bool, progress: ((Int) -> Void)?,
                               recording: (([(id: String, store: String)]) throws -> Void)?) throws -> Outcome {
        var w = JSONWriter(capacity: 1 << 20 + 1 << 16)
        if format == .csv { w.raw(EventReplay.csvColumns.utf8) }
        var count = 0
        var stopped = false
        var shown = Set<String>()
        // The customers the buffered text shows for the first time, not yet handed to `recording`.
        var unrecorded: [(id: String, store: String)] = []
        func flush() throws -> Bool {
            if !unrecorded.isEmpty {
                try recording?(unrecorded)
                unrecorded.removeAll(keepingCapacity: true)
            }
            defer { w.bytes.removeAll(keepingCapacity: true) }
            return w.bytes.withUnsafeBytes { sink($0) }
        }
        let format = self.format
        try ledger.scan(filter.query) { event in
            guard event.recorded.withRecord({ filter.admits($0) }) else { return true }
            if event.personalData == .unsealed, shown.insert(event.recorded.customer).inserted {
                unrecorded.append((event.recorded.customer, event.recorded.store))
            }
            if format == .jsonl {
                w.write(event.json)
                w.bytes.append(0x0A)
            } else {
                EventReplay.writeIdentifiedCSV(event, into: &w)
            }
            count += 1
            if w.bytes.count >= 1 << 20, try !flush() { stopped = true; return false }
            if count & 0xFFFF == 0 { progress?(count) }
            return true
        }
        if !stopped && !w.bytes.isEmpty { _ = try flush() }
        return Outcome(events: count)
    }

    // MARK: Pseudonymous, from the stored bytes

    /// One event as a JSON line, pseudonymous, straight from its stored bytes.
    @inline(__always)
    static func writePseudonymousJSON(_ r: EventRecord, table: PseudonymTable, into out: LineBuffer) {
        out.raw("{\"sequence\":"); out.decimal(r.sequence)
        out.raw(",\"streamVersion\":"); out.decimal(UInt64(r.streamVersion))
        out.raw(",\"type\":"); out.jsonString(r.typeBytes)
        out.raw(",\"schemaVersion\":"); out.decimal(UInt64(r.schemaVersion))
        out.raw(",\"customer\":\""); table.write(r.customerBytes, into: out)
        out.raw("\",\"store\":"); out.jsonString(r.storeBytes)
        out.raw(",\"actor\":"); out.jsonString(r.actorBytes)
        out.raw(",\"channel\":"); out.jsonString(r.channelBytes)
        out.raw(",\"occurredAt\":\""); out.iso8601(r.occurredAt)
        out.raw("\",\"recordedAt\":\""); out.iso8601(r.recordedAt)
        out.raw("\",\"payload\":")
        writePayload(r, table: table, into: out)
        out.raw(",\"hash\":\""); out.hex(r.chainHash); out.raw("\"}\n")
    }

    /// One event as a CSV row, pseudonymous, straight from its stored bytes.
    static func writePseudonymousCSV(_ r: EventRecord, table: PseudonymTable, into out: LineBuffer) {
        out.decimal(r.sequence); out.byte(0x2C)
        out.iso8601(r.occurredAt); out.byte(0x2C)
        out.iso8601(r.recordedAt); out.byte(0x2C)
        csvCell(r.typeBytes, into: out); out.byte(0x2C)
        out.decimal(UInt64(r.schemaVersion)); out.byte(0x2C)
        table.write(r.customerBytes, into: out); out.byte(0x2C)
        csvCell(r.storeBytes, into: out); out.byte(0x2C)
        csvCell(r.actorBytes, into: out); out.byte(0x2C)
        csvCell(r.channelBytes, into: out)
        out.raw(",,,")
        let payload = LineBuffer(capacity: r.payloadBytes.count + 2)
        writePayload(r, table: table, into: payload)
        csvCell(payload.written, into: out)
        out.raw("\r\n")
    }

    static let merged = Array("CustomersMerged".utf8), unmerged = Array("CustomersUnmerged".utf8)

    /// Whether the type is one of the two whose payload names another customer.
    @inline(__always)
    static func isMerge(_ type: UnsafeRawBufferPointer) -> Bool {
        guard type.count == 15 || type.count == 17, type[0] == 0x43, type[1] == 0x75 else { return false } // "Cu"
        let name = type.count == 15 ? merged : unmerged
        return name.withUnsafeBytes { memcmp($0.baseAddress!, type.baseAddress!, type.count) == 0 }
    }

    /// The stored payload without its sealed box; for merges, the other customer's id pseudonymised.
    @inline(__always)
    static func writePayload(_ r: EventRecord, table: PseudonymTable, into out: LineBuffer) {
        let p = r.payloadBytes
        if p.isEmpty { out.raw("{}"); return }
        if isMerge(r.typeBytes) {
            writeMerged(p, table: table, into: out)
            return
        }
        guard let keep = sealedBoxStart(p) else { out.bytes(p); return }
        out.bytes(UnsafeRawBufferPointer(rebasing: p[0..<keep]))
        out.byte(0x7D)
    }

    /// Where the sealed box begins in a stored payload (its comma, or just after the opening brace
    /// when it is the only member), or nil when there is none. The sealer writes it last; a quote
    /// after a comma or a brace is never inside a string (there a quote is escaped), so the match is
    /// structural.
    static func sealedBoxStart(_ p: UnsafeRawBufferPointer) -> Int? { PersonalDataSealer.storedBoxStart(p) }

    private static func writeMerged(_ p: UnsafeRawBufferPointer, table: PseudonymTable, into out: LineBuffer) {
        guard var value = try? JSONParser.parse(UnsafeBufferPointer(start: p.baseAddress?.assumingMemoryBound(to: UInt8.self), count: p.count)),
              case .object(var members) = value else { out.bytes(p); return }
        members.removeAll { $0.0 == PersonalDataSealer.member }
        for i in members.indices where members[i].0 == "mergedCustomer" {
            if let id = members[i].1.stringValue { members[i].1 = .string(table.pseudonym(id)) }
        }
        value = .object(members)
        var w = JSONWriter()
        w.write(value)
        out.bytes(w.bytes)
    }

    /// A CSV cell: as is, or quoted with its quotes doubled when it holds a comma, quote or line break.
    static func csvCell(_ b: UnsafeRawBufferPointer, into out: LineBuffer) {
        var needs = false
        for c in b where c == 0x2C || c == 0x22 || c == 0x0A || c == 0x0D { needs = true; break }
        guard needs else { out.bytes(b); return }
        out.byte(0x22)
        for c in b { if c == 0x22 { out.byte(0x22) }; out.byte(c) }
        out.byte(0x22)
    }

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
