import POSImport

/// How to ingest: how to read the files, where receipts without a store go, and how to write.
public struct IngestOptions: Sendable {
    /// How to read the exports (profile or mapping, encoding, date order, time zone, currency).
    public var reader: POSImportOptions
    /// The store for receipts whose export does not name one (`--store`).
    public var defaultStore: String?
    /// Read, map and check everything, and count what would be appended, without writing.
    public var dryRun: Bool
    /// Stop reading once more rows than this were rejected (what was accepted is still committed).
    public var maxRejects: Int?
    /// How many events one write transaction holds (about: a receipt's events are never split
    /// between two): up to 50,000 — large transactions write less, each index page they touch
    /// being rewritten once — and fewer when the last commits show that the pages they change
    /// (held in memory until the commit) would pass the budget.
    public var transactions: TransactionSizing
    /// Events checked before they are handed to the sealing thread (their JSON trees are the bulk
    /// of the memory in flight).
    public var chunkEvents: Int

    /// Options reading with `reader`, committing up to `transactionEvents` events per transaction.
    public init(reader: POSImportOptions = POSImportOptions(), defaultStore: String? = nil, dryRun: Bool = false,
                maxRejects: Int? = nil, transactionEvents: Int = 50_000, chunkEvents: Int = 4_096) {
        self.reader = reader
        self.defaultStore = defaultStore
        self.dryRun = dryRun
        self.maxRejects = maxRejects
        self.transactions = TransactionSizing(maximum: transactionEvents)
        self.chunkEvents = max(1, min(chunkEvents, transactionEvents))
    }
}

/// Where an ingest stands, for a progress bar.
public struct IngestProgress: Sendable {
    /// The file being read.
    public var file: String
    /// Data rows read so far, over all files.
    public var rowsRead: Int
    /// Bytes read so far, over all files.
    public var bytesRead: Int
    /// Bytes of all the files.
    public var totalBytes: Int
    /// Seconds since the start.
    public var seconds: Double
}
