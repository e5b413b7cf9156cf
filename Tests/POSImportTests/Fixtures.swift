import Foundation
import Ledger
@testable import POSImport

/// Shared fixtures: where the sample exports live, temporary files, and a summary of a read.
enum Fixtures {
    /// `<repo>/../shared/samples`, found from this file's path (`<repo>/Tests/POSImportTests/Fixtures.swift`).
    static let samples: String = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        return url.deletingLastPathComponent().appendingPathComponent("shared/samples").path
    }()

    /// The path of sample `name`.
    static func sample(_ name: String) -> String { samples + "/" + name }

    /// The sample's bytes.
    static func bytes(_ name: String) -> [UInt8] {
        [UInt8](FileManager.default.contents(atPath: sample(name)) ?? Data())
    }

    /// A new empty folder for one test, removed by the caller's `defer`.
    static func temporaryFolder() -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("posimport-\(UUID().uuidString)")
        try? FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// Writes `bytes` to `name` in `folder`; returns the path.
    @discardableResult
    static func write(_ bytes: [UInt8], to name: String, in folder: URL) -> String {
        let path = folder.appendingPathComponent(name).path
        _ = FileManager.default.createFile(atPath: path, contents: Data(bytes))
        return path
    }

    /// Writes UTF-8 `text`.
    @discardableResult
    static func write(_ text: String, to name: String, in folder: URL) -> String {
        write(Array(text.utf8), to: name, in: folder)
    }
}

/// Everything one file yielded, with the counts the sample tests check.
struct ReadResult {
    var receipts: [ImportedReceipt] = []
    var rejected: [RejectedRow] = []
    var skipped: [SkippedReceipt] = []

    init(path: String, options: POSImportOptions = POSImportOptions()) throws(POSImportError) {
        let reader = try POSFileReader(path: path, options: options)
        while let record = try reader.next() {
            switch record {
            case .receipt(let r): receipts.append(r)
            case .rejected(let r): rejected.append(r)
            case .skipped(let s): skipped.append(s)
            }
        }
    }

    var lineCount: Int { receipts.reduce(0) { $0 + $1.lines.count } }
    var returns: Int { receipts.filter { $0.kind != .sale }.count }
    var distinctCustomers: Int { Set(receipts.compactMap { $0.customer?.externalId }).count }
    var anonymous: Int { receipts.filter { $0.customer == nil }.count }
    var totals: [String: Int64] {
        receipts.reduce(into: [:]) { $0[$1.currency, default: 0] += $1.total }
    }

    /// The receipts without the profile and line numbers, to compare variants of one file.
    var comparable: [ImportedReceipt] {
        receipts.map { r in
            var r = r
            r.profile = ""
            r.fileLines = []
            r.lines = r.lines.map { l in var l = l; l.fileLine = 0; return l }
            return r
        }
    }
}
