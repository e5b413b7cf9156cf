import CustomerEvents
import Ledger
import LedgerJSON
import POSImport
#if canImport(Glibc)
import Glibc
#endif

/// Reads POS export files and records their receipts in the ledger: the engine of `clientele ingest`.
///
/// For each file, in order: `POSFileReader` yields receipts, rejected rows and skipped receipts;
/// each receipt with a customer is mapped to events (`ReceiptMapper`) and checked against the
/// catalog at once, while its rows can still be reported; receipts gather into chunks that a
/// second thread seals (personal fields, one key-store transaction per chunk) and gathers into
/// transactions sized by `options.transactions`, handed to the ledger's writer without waiting,
/// so reading and checking overlap sealing and the durable commits (`CommitPipeline`).
///
/// Guarantees:
/// - A receipt is all or nothing: its events are in one batch, and a batch is one transaction.
/// - Idempotent: every event carries a source and external id, so running again over the same
///   file, an overlapping export, or after a crash (even SIGKILL) appends only what is missing.
/// - A row that cannot be read or recorded is rejected (with file, line, column, reason and raw
///   row) and the ingest goes on; a file that cannot be read is reported and the next one read.
///
/// Not thread-safe: one `run` at a time.
public final class Ingester {
    /// The ledger written to.
    public let ledger: CustomerLedger
    /// How to ingest.
    public let options: IngestOptions
    /// How receipts become events.
    public let mapper: ReceiptMapper
    /// Called for every rejected row, in order (write it to the rejects file, print it).
    public var onReject: ((RejectedRow) throws(IngestError) -> Void)?
    /// Called every `progressInterval` seconds with where the ingest stands.
    public var onProgress: ((IngestProgress) -> Void)?
    /// Seconds between two `onProgress` calls.
    public var progressInterval = 0.25
    /// What has been done so far (complete once `run` returns; partial when it throws).
    public private(set) var summary = IngestSummary()

    private var seenCustomers = SeenCustomers()
    private var batch: [CheckedEvent] = []
    private var roles: [PlannedEvent.Role] = []
    private var pipeline: CommitPipeline?
    private var started = 0.0
    private var lastProgress = 0.0
    private var totalBytes = 0
    private var bytesBefore = 0
    private var rowsBefore = 0

    /// An ingester writing to `ledger`; `pseudonymizer` (from the master key) identifies customers
    /// known only by contact details and allows their personal fields to be sealed.
    public init(ledger: CustomerLedger, options: IngestOptions, pseudonymizer: Pseudonymizer?) {
        self.ledger = ledger
        self.options = options
        self.mapper = ReceiptMapper(defaultStore: options.defaultStore, identity: CustomerIdentity(pseudonymizer: pseudonymizer))
    }

    /// Ingests `files` in order and returns what was done.
    /// - Throws: `IngestError` when the ingest cannot go on (no store, no master key, the ledger
    ///   refused a batch, the rejects file failed); `summary` then says what was done up to there,
    ///   and every receipt counted as recorded is committed.
    public func run(files: [String]) throws(IngestError) -> IngestSummary {
        summary = IngestSummary()
        seenCustomers = SeenCustomers()
        rowsBefore = 0
        bytesBefore = 0
        summary.dryRun = options.dryRun
        summary.files = files
        started = Self.now()
        lastProgress = started
        totalBytes = files.reduce(0) { $0 + Self.size(of: $1) }
        if !options.dryRun {
            let events: UInt64
            do { events = try ledger.ledger.head().sequence } catch { throw .ledger(error.description) }
            pipeline = CommitPipeline(ledger: ledger, sizing: options.transactions, head: events)
        }
        do {
            for (i, file) in files.enumerated() {
                if i > 0, let pipeline {
                    try flush()
                    try pipeline.startFile()
                }
                try ingest(file: file)
                if summary.stoppedAtMaxRejects { break }
            }
            try flush()
        } catch {
            // Commit the receipts accepted before the cause (unless the ledger itself is the cause).
            if case .ledger = error {} else { _ = try? flush() }
            merge()
            throw error
        }
        merge()
        if let failure = pipeline?.current.failure { throw .ledger(failure) }
        return summary
    }

    /// Waits for the writer, adds its tallies and the time taken to the summary.
    private func merge() {
        defer { summary.seconds = Self.now() - started }
        guard let pipeline else { return }
        let t = pipeline.finish()
        summary.eventsAppended = t.eventsAppended
        summary.duplicatesSkipped = t.duplicatesSkipped
        summary.receiptsRecorded = t.receiptsRecorded
        summary.receiptsAlreadyPresent = t.receiptsAlreadyPresent
        summary.customersRegistered = t.customersRegistered
        summary.customersAlreadyKnown = t.customersAlreadyKnown
        summary.erasedCustomers = t.erasedCustomers
        summary.receiptsRepeated = t.receiptsRepeated
        summary.repeatedReceipts = t.repeatedReceipts
    }

    // MARK: one file

    private func ingest(file: String) throws(IngestError) {
        let reader: POSFileReader
        do {
            reader = try POSFileReader(path: file, options: options.reader)
        } catch {
            summary.fileErrors.append(.init(file: file, message: error.description))
            bytesBefore += Self.size(of: file)
            return
        }
        defer {
            rowsBefore += reader.rowsRead
            bytesBefore += reader.fileSize
            summary.rowsRead = rowsBefore
            summary.bytesRead = bytesBefore
        }
        var fingerprint = ReceiptFingerprint()
        var count = 0
        while true {
            let record: POSRecord?
            do {
                record = try reader.next()
            } catch {
                summary.fileErrors.append(.init(file: file, message: error.description))
                return
            }
            guard let record else { return }
            switch record {
            case .receipt(let receipt):
                try take(receipt, from: reader, fingerprint: &fingerprint)
            case .rejected(let row):
                try reject(row)
            case .skipped:
                summary.skippedReceipts += 1
            }
            if summary.stoppedAtMaxRejects { return }
            count += 1
            if count & 255 == 0 { reportProgress(reader) }
        }
    }

    private func take(_ receipt: ImportedReceipt, from reader: POSFileReader, fingerprint: inout ReceiptFingerprint) throws(IngestError) {
        summary.receipts += 1
        if receipt.kind == .sale { summary.sales += 1 } else { summary.returns += 1 }
        summary.lines += receipt.lines.count
        summary.totals[receipt.currency, default: 0] &+= receipt.total
        guard receipt.customer != nil else {
            summary.anonymousReceipts += 1
            summary.anonymousRows += receipt.fileLines.count
            return
        }
        let line = receipt.fileLines.first ?? 0
        var checked: [CheckedEvent] = []
        let mapped: MappedReceipt
        let customer: String
        do throws(ReceiptMappingError) {
            let store = try mapper.store(of: receipt)
            let id = receipt.receiptId ?? fingerprint.id(for: receipt, store: store)
            customer = try mapper.customer(of: receipt)!
            let context = ReceiptContext(receiptId: id, store: store, customer: customer, registering: !seenCustomers.contains(customer))
            mapped = try mapper.events(for: receipt, in: context)
            for planned in mapped.events {
                do throws(EventInputError) {
                    checked.append(try ledger.check(planned.event, payload: planned.payload))
                } catch {
                    throw ReceiptMappingError.unrecordable(field: error.path ?? "event", reason: "\(planned.event.type) refused by the catalog: \(error)")
                }
            }
        } catch {
            switch error {
            case .needsStore: throw .storeRequired(file: reader.path, line: line)
            case .needsMasterKey: throw .masterKeyRequired(file: reader.path, line: line)
            case .unrecordable(let field, let reason):
                try rejectWhole(receipt, from: reader, field: field, reason: reason)
                return
            }
        }
        _ = seenCustomers.insert(customer)
        if mapped.unitemized { summary.unitemizedReceipts += 1 }
        for (c, planned) in zip(checked, mapped.events) {
            batch.append(c)
            roles.append(planned.role)
        }
        if batch.count >= options.chunkEvents { try flush() }
    }

    // MARK: rejects

    private func reject(_ row: RejectedRow) throws(IngestError) {
        summary.rejectedRows += 1
        try onReject?(row)
        if let max = options.maxRejects, summary.rejectedRows > max { summary.stoppedAtMaxRejects = true }
    }

    /// Rejects every row of a receipt read cleanly that cannot be recorded: the first with the
    /// reason, the others pointing at it (like the reader does for a bad row).
    private func rejectWhole(_ receipt: ImportedReceipt, from reader: POSFileReader, field: String, reason: String) throws(IngestError) {
        let raw = reader.rawRows(of: receipt)
        let first = receipt.fileLines.first ?? 0
        let id = receipt.receiptId.map { "receipt \($0)" } ?? "its receipt"
        for (i, line) in receipt.fileLines.enumerated() {
            let text = i < raw.count ? raw[i] : ""
            if i == 0 {
                try reject(RejectedRow(file: reader.path, line: line, column: field, reason: reason, rawRow: text))
            } else {
                try reject(RejectedRow(file: reader.path, line: line, column: nil,
                                       reason: "not imported: \(id) is rejected as a whole because of line \(first) (\(reason))", rawRow: text))
            }
        }
    }

    // MARK: batches

    /// Hands the batch to the sealing and writing stages (or, in a dry run, looks up what would be new).
    private func flush() throws(IngestError) {
        guard !batch.isEmpty else { return }
        if options.dryRun {
            defer { batch.removeAll(keepingCapacity: true); roles.removeAll(keepingCapacity: true) }
            return try count(dryRun: batch, roles: roles)
        }
        pipeline!.submit(batch, roles: roles)
        batch = []
        roles = []
        batch.reserveCapacity(options.chunkEvents + 4)
        roles.reserveCapacity(options.chunkEvents + 4)
        if let failure = pipeline!.current.failure { throw .ledger(failure) }
    }

    private func count(dryRun batch: [CheckedEvent], roles: [PlannedEvent.Role]) throws(IngestError) {
        do {
            for (c, role) in zip(batch, roles) {
                guard let source = c.event.source else { continue }
                let present = try ledger.ledger.sequence(of: source) != nil
                switch (role, present) {
                case (.registration, true): summary.duplicatesSkipped += 1
                case (.registration, false):
                    if try ledger.ledger.streamVersion(of: c.event.customer) > 0 {
                        summary.customersAlreadyKnown += 1
                    } else {
                        summary.customersRegistered += 1; summary.eventsAppended += 1
                    }
                case (_, true): summary.duplicatesSkipped += 1; summary.receiptsAlreadyPresent += 1
                case (_, false): summary.eventsAppended += 1; summary.receiptsRecorded += 1
                }
            }
        } catch {
            throw .ledger(error.description)
        }
    }

    // MARK: progress

    private func reportProgress(_ reader: POSFileReader) {
        guard let onProgress else { return }
        let now = Self.now()
        guard now - lastProgress >= progressInterval else { return }
        lastProgress = now
        onProgress(IngestProgress(file: reader.path, rowsRead: rowsBefore + reader.rowsRead,
                                  bytesRead: bytesBefore + reader.bytesRead, totalBytes: totalBytes, seconds: now - started))
    }

    static func now() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    }

    static func size(of path: String) -> Int {
        var st = stat()
        return stat(path, &st) == 0 ? Int(st.st_size) : 0
    }
}
