import TestSupport
import Ledger
import LMDB
import Glibc

/// A fresh folder under /tmp for one test's ledger.
struct Scratch {
    let path: String
    init(_ label: String) {
        var template = Array("/tmp/clientele-test-\(label)-XXXXXX".utf8CString)
        _ = template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }
        path = String(decoding: template.dropLast().map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
    func remove() {
        for name in ["data.mdb", "lock.mdb"] { unlink(path + "/" + name) }
        rmdir(path)
    }
    func ledger(initialMapSize: Int? = nil, observationTypes: Set<String> = []) throws -> Ledger {
        var options = LedgerOptions()
        options.create = true
        options.observationTypes = observationTypes
        if let initialMapSize { options.environment.initialMapSize = initialMapSize }
        return try Ledger(path: path, options: options)
    }
}

extension Scratch {
    /// Rewrites the closed ledger's `meta` as an earlier build left it: `format` set to `format`,
    /// and the `removing` keys gone.
    func setFormat(_ format: String, removing: [String] = []) throws {
        let env = try Environment(path: path)
        defer { env.close() }
        let meta = try env.database("meta")
        try env.write { (txn: borrowing Transaction) throws in
            try Array("format".utf8).withUnsafeBytes { k in
                try Array(format.utf8).withUnsafeBytes { v in try txn.put(meta, key: k, value: v) }
            }
            for name in removing {
                _ = try Array(name.utf8).withUnsafeBytes { k in try txn.delete(meta, key: k) }
            }
        }
    }
}

/// Shared events for tests ("controls"): a visit by a customer at a store, at a given minute.
enum Controls {
    static let base: Int64 = 1_795_000_000_000_000 // an instant in November 2026

    static func visit(_ customer: String, store: String = "S1", actor: String = "staff-1", minute: Int64 = 0,
                      source: SourceReference? = nil, expected: ExpectedVersion = .any, type: String = "VisitRecorded") -> NewEvent {
        NewEvent(type: type, customer: customer, store: store, actor: actor, channel: "counter",
                 occurredAt: Timestamp(microseconds: base + minute * 60_000_000, offsetMinutes: 480),
                 source: source, expectedVersion: expected, payload: Array("{\"minute\":\(minute)}".utf8))
    }
}

extension Ledger {
    /// All events a query selects, in the order the scan gives them.
    func all(_ query: EventQuery) throws -> [RecordedEvent] {
        var out: [RecordedEvent] = []
        try scan(query) { out.append($0); return true }
        return out
    }
}
