import TestSupport
import Foundation
import CustomerEvents
import Ingest
import Ledger
import LedgerJSON
import POSImport

/// Shared fixtures: the sample exports, temporary folders, and a fresh ledger with a master key.
enum Fixtures {
    /// `<repo>/../shared/samples`, found from this file's path (`<repo>/Tests/IngestTests/Fixtures.swift`).
    static let samples: String = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        return url.deletingLastPathComponent().appendingPathComponent("shared/samples").path
    }()

    /// The path of sample `name`.
    static func sample(_ name: String) -> String { samples + "/" + name }

    /// The sample's text.
    static func text(_ name: String) -> String {
        String(decoding: FileManager.default.contents(atPath: sample(name)) ?? Data(), as: UTF8.self)
    }

    /// A new empty folder for one test.
    static func temporaryFolder(_ label: String = "ingest") -> String {
        let path = NSTemporaryDirectory() + "clientele-\(label)-\(UUID().uuidString)"
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    /// Writes `bytes` to `name` in `folder`; returns the path.
    @discardableResult
    static func write(_ bytes: [UInt8], to name: String, in folder: String) -> String {
        let path = folder + "/" + name
        _ = FileManager.default.createFile(atPath: path, contents: Data(bytes))
        return path
    }

    /// Writes UTF-8 `text`.
    @discardableResult
    static func write(_ text: String, to name: String, in folder: String) -> String {
        write(Array(text.utf8), to: name, in: folder)
    }
}

/// A fresh ledger in its own temporary folder, with a master key, for one test.
final class TestLedger {
    let folder: String
    let ledger: CustomerLedger
    let masterKey: MasterKey

    /// A new ledger whose master key is `masterKey` (a new one by default; pass one to compare the
    /// pseudonymous customer ids of two ledgers).
    init(masterKey: MasterKey = .generate()) throws {
        folder = Fixtures.temporaryFolder("ledger")
        var options = LedgerOptions()
        options.create = true
        let log = try Ledger(path: folder + "/db", options: options)
        self.masterKey = masterKey
        ledger = CustomerLedger(ledger: log, keys: try KeyStore(ledgerPath: folder + "/db", masterKey: masterKey))
    }

    deinit {
        ledger.close()
        try? FileManager.default.removeItem(atPath: folder)
    }

    /// Ingests `files`; with `withKey` false, as if no master key had been given.
    @discardableResult
    func ingest(_ files: [String], _ options: IngestOptions, withKey: Bool = true,
                rejected: ((RejectedRow) -> Void)? = nil) throws(IngestError) -> IngestSummary {
        let ingester = Ingester(ledger: ledger, options: options,
                                pseudonymizer: withKey ? Pseudonymizer(masterKey: masterKey, purpose: "pos-customer") : nil)
        if let rejected { ingester.onReject = { (row: RejectedRow) throws(IngestError) in rejected(row) } }
        return try ingester.run(files: files)
    }

    /// Every event, as readers see it (personal fields unsealed).
    var events: [CatalogEvent] {
        get throws {
            var out: [CatalogEvent] = []
            try ledger.scan(.all()) { out.append($0); return true }
            return out
        }
    }

    /// Every event's stored bytes, as the log holds them (personal fields sealed).
    var stored: [RecordedEvent] {
        get throws {
            var out: [RecordedEvent] = []
            try ledger.ledger.scan(.all()) { out.append($0); return true }
            return out
        }
    }
}

/// What the ledger holds of an ingest, to compare runs: each event without its place in the log.
struct EventShape: Hashable, CustomStringConvertible {
    var type: String
    var customer: String
    var store: String
    var source: String
    var externalId: String
    var occurredAt: Timestamp
    var payload: String

    init(_ e: CatalogEvent) {
        type = e.type
        customer = e.recorded.customer
        store = e.recorded.store
        source = e.recorded.source?.source ?? ""
        externalId = e.recorded.source?.externalId ?? ""
        occurredAt = e.recorded.occurredAt
        var w = JSONWriter()
        w.write(e.payload)
        payload = w.text
    }

    var description: String { "\(type) \(customer) \(externalId) \(payload)" }

    /// The shapes of every event in `ledger`, in log order.
    static func all(_ ledger: TestLedger) throws -> [EventShape] { try ledger.events.map(EventShape.init) }
}

/// CSV files built inside the tests: records read with POSImport's own reader, written back quoted.
enum CSVText {
    /// Every record of `path` (header first).
    static func records(_ path: String) throws -> [[String]] {
        let reader = try CSVReader(path: path)
        var rows: [[String]] = []
        while try reader.next() { rows.append(reader.fields) }
        return rows
    }


}

extension CatalogEvent {
    /// The `minor` of a money member of the payload.
    func minor(_ member: String) -> Int64? {
        payload[member]?["minor"]?.int64Value
    }

    /// The payload's lines.
    var lines: [JSONValue] {
        if case .array(let a)? = payload["lines"] { return a }
        return []
    }
}
