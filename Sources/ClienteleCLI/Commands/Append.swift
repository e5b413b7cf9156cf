import Access
import ArgumentParser
import Ledger
import LedgerJSON
import CustomerEvents
#if canImport(Glibc)
import Glibc
#endif

extension Clientele {
    /// `clientele append`: appends JSON Lines events and prints where each went.
    struct Append: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Append events given as JSON Lines (one event per line) on standard input.",
            discussion: reflow("""
                Each line is one event:
                  {"type":"VisitRecorded","customer":"C1","store":"S1","actor":"staff-7",
                   "channel":"counter","occurredAt":"2026-11-23T10:15:00+08:00","payload":{}}
                optionally with "schemaVersion", "source" + "externalId" (an event whose source and
                external id are already in the ledger is not written again) and "expectedVersion"
                (the customer's current stream version; 0 for a new customer).

                The payload must match the event type's schema in schemas/events/; fields marked
                personal ("x-pii") are sealed with the customer's data key, which needs the master
                key (--master-key-file or $CLIENTELE_MASTER_KEY_FILE).

                For every line it prints the event's sequence number once the event is durable
                ("12", or "12 duplicate" when it was already there). A line that cannot be appended
                is reported on standard error with its line number and field, and the lines around
                it are still appended. Exit status: 0 when every line was appended, 1 otherwise.
                """))

        @OptionGroup var options: DatabaseOptions
        @OptionGroup var keys: KeyOptions

        @Argument(help: ArgumentHelp("Read this file instead of standard input.", valueName: "file"))
        var file: String?

        @Flag(help: "Print one JSON object per line instead of bare sequence numbers.")
        var json = false

        @Option(help: "Most lines committed in one transaction.")
        var batch: Int = 10_000

        func validate() throws {
            guard batch >= 1 else { throw ValidationError("--batch must be at least 1") }
        }

        func run() async throws {
            let principal = try options.authorize(.recordEvents)
            let ledger = try CustomerLedger.open(path: options.db, masterKeyFile: keys.masterKeyFile)
            defer { ledger.close() }
            let fd: Int32
            let name: String
            if let file, file != "-" {
                fd = open(file, O_RDONLY)
                guard fd >= 0 else { throw CommandFailure("cannot read \(file): \(String(cString: strerror(errno)))") }
                name = file
            } else {
                fd = STDIN_FILENO
                name = "stdin"
            }
            defer { if fd != STDIN_FILENO { close(fd) } }
            var appender = LineAppender(ledger: ledger, source: name, json: json, batch: batch, principal: principal)
            try appender.run(fd: fd)
            if appender.rejected > 0 || appender.failedRead {
                Output.error("\(name): appended \(appender.appended), duplicates \(appender.duplicates), rejected \(appender.rejected)")
                throw ExitCode(1)
            }
        }
    }
}

/// Reads JSON Lines from a file descriptor in chunks and appends each chunk's lines in one
/// group-commit submission, printing each line's outcome once it is durable.
struct LineAppender {
    let ledger: CustomerLedger
    let source: String
    let json: Bool
    let batch: Int
    /// Who appends: a clerk may record events of their own store(s) only.
    let principal: Principal
    /// Lines longer than this are refused (an event's payload is limited to 16 MiB).
    static let maxLineBytes = (16 << 20) + 65_536
    var lineNumber = 0
    var appended = 0
    var duplicates = 0
    var rejected = 0
    var failedRead = false

    init(ledger: CustomerLedger, source: String, json: Bool, batch: Int, principal: Principal) {
        self.principal = principal
        self.ledger = ledger
        self.source = source
        self.json = json
        self.batch = batch
    }

    mutating func run(fd: Int32) throws {
        var buffer = [UInt8](repeating: 0, count: 1 << 20)
        var filled = 0
        var pending: [(line: Int, event: JSONValue)] = []
        var out: [UInt8] = []
        var skippingLongLine = false
        while true {
            if filled == buffer.count {
                if buffer.count < LineAppender.maxLineBytes {
                    buffer.append(contentsOf: [UInt8](repeating: 0, count: buffer.count))
                } else {
                    // A line longer than any event may be: refuse it and skip to its end.
                    lineNumber += 1
                    reject(line: lineNumber, "line is longer than \(LineAppender.maxLineBytes) bytes", into: &out)
                    filled = 0
                    skippingLongLine = true
                }
            }
            let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress! + filled, $0.count - filled) }
            if n < 0 {
                if errno == EINTR { continue }
                Output.error("\(source): read failed: \(String(cString: strerror(errno)))")
                failedRead = true
                break
            }
            let atEnd = n == 0
            filled += n
            var start = 0
            buffer.withUnsafeBufferPointer { b in
                var i = 0
                while i < filled {
                    if b[i] == 0x0A {
                        if skippingLongLine {
                            skippingLongLine = false
                        } else {
                            lineNumber += 1
                            take(UnsafeBufferPointer(rebasing: b[start..<i]), into: &pending, out: &out)
                        }
                        start = i + 1
                    }
                    i += 1
                }
                if atEnd && start < filled && !skippingLongLine {
                    lineNumber += 1
                    take(UnsafeBufferPointer(rebasing: b[start..<filled]), into: &pending, out: &out)
                    start = filled
                }
            }
            if start > 0 {
                buffer.replaceSubrange(0..<filled - start, with: buffer[start..<filled])
                filled -= start
            }
            if skippingLongLine { filled = 0 }
            // Commit what this read brought, so a slow writer upstream still sees each line acknowledged promptly.
            while !pending.isEmpty {
                let chunk = Array(pending.prefix(batch))
                pending.removeFirst(chunk.count)
                commit(chunk, out: &out)
            }
            if !out.isEmpty {
                guard Output.write(out) else { return }
                out.removeAll(keepingCapacity: true)
            }
            if atEnd { break }
        }
    }

    private mutating func take(_ raw: UnsafeBufferPointer<UInt8>, into pending: inout [(line: Int, event: JSONValue)], out: inout [UInt8]) {
        var line = raw
        if let last = line.last, last == 0x0D { line = UnsafeBufferPointer(rebasing: line.dropLast()) }
        if line.allSatisfy({ $0 == 0x20 || $0 == 0x09 }) { return }
        do {
            let event = try JSONParser.parse(line)
            let store = event["store"]?.stringValue
            guard principal.mayAct(inStore: store) else {
                reject(line: lineNumber, "$.store: " + AccessDenied(principal: principal, reason: .store(store)).description, into: &out)
                return
            }
            pending.append((lineNumber, event))
        } catch {
            reject(line: lineNumber, "$: " + error.description, into: &out)
        }
    }

    private mutating func reject(line: Int, _ reason: String, into out: inout [UInt8]) {
        rejected += 1
        Output.error("\(source):\(line): \(reason)")
        if json {
            var w = JSONWriter()
            w.raw("{\"line\":"); w.number(Int64(line)); w.raw(",\"status\":\"rejected\",\"error\":"); w.string(reason); w.raw("}\n")
            out.append(contentsOf: w.bytes)
        }
    }

    private mutating func commit(_ chunk: [(line: Int, event: JSONValue)], out: inout [UInt8]) {
        let results = ledger.appendAndWait(chunk.map(\.event))
        for (item, result) in zip(chunk, results) {
            switch result {
            case .success(let receipt):
                if receipt.duplicate { duplicates += 1 } else { appended += 1 }
                if json {
                    var w = JSONWriter()
                    w.raw("{\"line\":"); w.number(Int64(item.line))
                    w.raw(",\"sequence\":"); w.number(receipt.sequence)
                    w.raw(",\"streamVersion\":"); w.number(UInt64(receipt.streamVersion))
                    w.raw(receipt.duplicate ? ",\"status\":\"duplicate\"}\n" : ",\"status\":\"appended\"}\n")
                    out.append(contentsOf: w.bytes)
                } else {
                    out.append(contentsOf: String(receipt.sequence).utf8)
                    if receipt.duplicate { out.append(contentsOf: " duplicate".utf8) }
                    out.append(0x0A)
                }
            case .failure(let error):
                reject(line: item.line, error.description, into: &out)
            }
        }
    }
}
