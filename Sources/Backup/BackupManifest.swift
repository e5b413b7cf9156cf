import Ledger
import LedgerJSON

/// What a backup folder holds, written beside the copies as `BACKUP.json`: when it was taken,
/// the ledger's head in the copy (so a restore can prove it got back exactly that log), and
/// the environments and files copied.
public struct BackupManifest: Sendable, Equatable {
    /// The format tag this build writes and reads.
    public static let formatTag = "clientele-backup/1"
    /// The manifest's file name inside a backup folder.
    public static let fileName = "BACKUP.json"

    /// When the copy was started (the ledger's copy holds every event committed before then).
    public var startedAt: Timestamp
    /// When the copy was finished.
    public var finishedAt: Timestamp
    /// The last event in the copied ledger (0 when empty).
    public var headSequence: UInt64
    /// The chain hash of that event, hex.
    public var headHash: String
    /// The LMDB environments copied, as folders relative to the backup (`.` is the ledger itself).
    public var environments: [String]
    /// Plain files copied (the configuration).
    public var files: [String]
    /// Bytes written, all environments and files together.
    public var bytes: Int

    /// A manifest with every field given.
    public init(startedAt: Timestamp, finishedAt: Timestamp, headSequence: UInt64, headHash: String,
                environments: [String], files: [String], bytes: Int) {
        self.startedAt = startedAt
        self.finishedAt = finishedAt
        self.headSequence = headSequence
        self.headHash = headHash
        self.environments = environments
        self.files = files
        self.bytes = bytes
    }

    /// The manifest as JSON text, one object and a newline.
    public var json: [UInt8] {
        var w = JSONWriter()
        w.write(.object([
            ("format", .string(BackupManifest.formatTag)),
            ("startedAt", .string(startedAt.iso8601)),
            ("finishedAt", .string(finishedAt.iso8601)),
            ("headSequence", .number(String(headSequence))),
            ("headHash", .string(headHash)),
            ("environments", .array(environments.map { .string($0) })),
            ("files", .array(files.map { .string($0) })),
            ("bytes", .number(String(bytes))),
            ("models", .string("not copied: read models are rebuilt from the log on first use")),
            ("masterKey", .string("not copied: keep the master key apart from the backups")),
        ]))
        w.bytes.append(0x0A)
        return w.bytes
    }

    /// Reads a manifest, naming the member at fault.
    public init(json bytes: [UInt8], file: String) throws(BackupError) {
        let value: JSONValue
        do { value = try bytes.withUnsafeBufferPointer { buffer throws(JSONSyntaxError) in try JSONParser.parse(buffer) } } catch {
            throw .notABackup(path: file, reason: error.description)
        }
        func string(_ key: String) throws(BackupError) -> String {
            guard let s = value[key]?.stringValue else { throw .notABackup(path: file, reason: "$.\(key) is missing or not a string") }
            return s
        }
        func strings(_ key: String) throws(BackupError) -> [String] {
            guard case .array(let items)? = value[key] else { throw .notABackup(path: file, reason: "$.\(key) is missing or not an array") }
            return items.compactMap(\.stringValue)
        }
        let format = try string("format")
        guard format == BackupManifest.formatTag else {
            throw .notABackup(path: file, reason: "$.format is '\(format)', this build reads '\(BackupManifest.formatTag)'")
        }
        guard let started = Timestamp(iso8601: try string("startedAt")) else { throw .notABackup(path: file, reason: "$.startedAt is not a time") }
        guard let finished = Timestamp(iso8601: try string("finishedAt")) else { throw .notABackup(path: file, reason: "$.finishedAt is not a time") }
        guard let head = value["headSequence"]?.int64Value, head >= 0 else { throw .notABackup(path: file, reason: "$.headSequence is not a whole number") }
        self.init(startedAt: started, finishedAt: finished, headSequence: UInt64(head), headHash: try string("headHash"),
                  environments: try strings("environments"), files: try strings("files"),
                  bytes: Int(value["bytes"]?.int64Value ?? 0))
    }
}
