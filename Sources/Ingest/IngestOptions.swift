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
    /// Events per write transaction; a receipt's events are never split between two.
    public var batchEvents: Int
    /// Batches handed to the writer at once (the next is prepared while these commit).
    public var pipelineDepth: Int

    /// Options reading with `reader`, committing 10,000 events per transaction, two in flight.
    public init(reader: POSImportOptions = POSImportOptions(), defaultStore: String? = nil, dryRun: Bool = false,
                maxRejects: Int? = nil, batchEvents: Int = 10_000, pipelineDepth: Int = 2) {
        self.reader = reader
        self.defaultStore = defaultStore
        self.dryRun = dryRun
        self.maxRejects = maxRejects
        self.batchEvents = max(1, batchEvents)
        self.pipelineDepth = max(1, pipelineDepth)
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
