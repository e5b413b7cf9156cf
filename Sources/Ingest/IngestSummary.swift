import LedgerJSON
import POSImport

/// What an ingest read, recorded, skipped and refused: the numbers `clientele ingest` reports.
public struct IngestSummary: Sendable, Hashable {
    /// The files, in the order read.
    public var files: [String] = []
    /// Data rows read (the header not counted).
    public var rowsRead = 0
    /// Bytes of the files read.
    public var bytesRead = 0
    /// Receipts read cleanly (sales and returns, anonymous ones included).
    public var receipts = 0
    /// Of those, sales.
    public var sales = 0
    /// Of those, refunds, returns and cancellations.
    public var returns = 0
    /// Item lines of the receipts read.
    public var lines = 0
    /// Receipts without a customer: counted here, recorded nowhere.
    public var anonymousReceipts = 0
    /// The rows of those receipts.
    public var anonymousRows = 0
    /// Receipts recorded as one `UNITEMIZED` line (no exact item detail in the export).
    public var unitemizedReceipts = 0
    /// Receipts read cleanly but left out on purpose by the reader (voided orders, adjustments).
    public var skippedReceipts = 0
    /// Rows refused, each written to the rejects (file, line, column, reason, raw row).
    public var rejectedRows = 0
    /// Receipts whose events were newly appended.
    public var receiptsRecorded = 0
    /// Receipts already in the ledger (from an earlier run or an overlapping export): nothing added.
    public var receiptsAlreadyPresent = 0
    /// Receipts whose rows came back after other receipts' rows in the same file: only their
    /// first rows are recorded (the ledger takes the later ones for the same receipt again); the
    /// rows of a receipt must be together. `repeatedReceipts` names the first few.
    public var receiptsRepeated = 0
    public var repeatedReceipts: [String] = []
    /// Events newly appended (registrations, purchases, returns).
    public var eventsAppended = 0
    /// Events not appended because the ledger already had them (same source and external id),
    /// besides the events of `receiptsRepeated`.
    public var duplicatesSkipped = 0
    /// Customers registered by this run (seen for the first time).
    public var customersRegistered = 0
    /// Customers this run saw who already had events in the ledger under another source.
    public var customersAlreadyKnown = 0
    /// Registrations refused because the customer was erased (their receipts are still recorded).
    public var erasedCustomers = 0
    /// The money of the receipts read, per ISO 4217 currency, in minor units (returns negative).
    public var totals: [String: Int64] = [:]
    /// Files that could not be read (or not to the end), with why.
    public var fileErrors: [FileError] = []
    /// Whether reading stopped early because the rejected rows passed `--max-rejects`.
    public var stoppedAtMaxRejects = false
    /// Whether nothing was written (`--dry-run`): the appended and duplicate counts say what would be.
    public var dryRun = false
    /// Wall-clock seconds.
    public var seconds = 0.0

    /// A file that could not be read, or not to its end.
    public struct FileError: Sendable, Hashable {
        /// The file.
        public var file: String
        /// Why, in words that say what to do.
        public var message: String
    }

    /// An empty summary.
    public init() {}

    /// The summary as one JSON object (one line, no newline), for `--json`.
    public var json: [UInt8] {
        var w = JSONWriter()
        func count(_ key: StaticString, _ n: Int) { w.raw(","); w.raw("\""); w.raw(key); w.raw("\":"); w.number(Int64(n)) }
        w.raw("{\"files\":[")
        for (i, f) in files.enumerated() { if i > 0 { w.raw(",") }; w.string(f) }
        w.raw("]")
        count("rowsRead", rowsRead); count("bytesRead", bytesRead)
        count("receipts", receipts); count("sales", sales); count("returns", returns); count("lines", lines)
        count("anonymousReceipts", anonymousReceipts); count("anonymousRows", anonymousRows)
        count("unitemizedReceipts", unitemizedReceipts); count("skippedReceipts", skippedReceipts)
        count("rejectedRows", rejectedRows)
        count("receiptsRecorded", receiptsRecorded); count("receiptsAlreadyPresent", receiptsAlreadyPresent)
        count("eventsAppended", eventsAppended); count("duplicatesSkipped", duplicatesSkipped)
        count("customersRegistered", customersRegistered); count("customersAlreadyKnown", customersAlreadyKnown)
        count("erasedCustomers", erasedCustomers); count("receiptsRepeated", receiptsRepeated)
        w.raw(",\"repeatedReceipts\":[")
        for (i, id) in repeatedReceipts.enumerated() { if i > 0 { w.raw(",") }; w.string(id) }
        w.raw("]")
        w.raw(",\"totals\":{")
        for (i, (currency, minor)) in totals.sorted(by: { $0.key < $1.key }).enumerated() {
            if i > 0 { w.raw(",") }
            w.string(currency); w.raw(":"); w.number(minor)
        }
        w.raw("},\"fileErrors\":[")
        for (i, e) in fileErrors.enumerated() {
            if i > 0 { w.raw(",") }
            w.raw("{\"file\":"); w.string(e.file); w.raw(",\"message\":"); w.string(e.message); w.raw("}")
        }
        w.raw("],\"stoppedAtMaxRejects\":"); w.raw(stoppedAtMaxRejects ? "true" : "false")
        w.raw(",\"dryRun\":"); w.raw(dryRun ? "true" : "false")
        w.raw(",\"seconds\":"); w.raw(Array(Self.fixed3(seconds).utf8))
        w.raw("}")
        return w.bytes
    }

    /// `x` with three decimals, without Foundation.
    static func fixed3(_ x: Double) -> String {
        guard x.isFinite, x >= 0 else { return "0.000" }
        let ms = Int64((x * 1000).rounded())
        let frac = ms % 1000
        return "\(ms / 1000)." + (frac < 10 ? "00" : frac < 100 ? "0" : "") + String(frac)
    }
}
