import Ledger
import Logging
#if canImport(Glibc)
import Glibc
#endif

/// The service's log lines on standard error: time, level, label, message, then the metadata as
/// sorted `key=value` pairs. Unlike swift-log's `StreamLogHandler`, which re-renders its metadata
/// each time a key is set, it renders metadata only when a line is written — tagging every
/// request's logger with its request id costs nothing at the levels that print no line per request.
public struct LineLogHandler: LogHandler {
    public var metadata: Logger.Metadata = [:]
    public var metadataProvider: Logger.MetadataProvider?
    public var logLevel: Logger.Level
    let label: String

    /// A handler for loggers named `label`, writing lines at `level` and above.
    public init(label: String, level: Logger.Level, metadataProvider: Logger.MetadataProvider? = nil) {
        self.label = label
        self.logLevel = level
        self.metadataProvider = metadataProvider
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var all = metadata
        if let provided = metadataProvider?.get() { all.merge(provided) { _, new in new } }
        if let own = event.metadata { all.merge(own) { _, new in new } }
        var line = "\(Timestamp.now().iso8601) \(event.level) \(label): \(event.message)"
        for (key, value) in all.sorted(by: { $0.key < $1.key }) { line += " \(key)=\(value)" }
        line += "\n"
        // One write(2) per line: lines of concurrent requests never interleave.
        var bytes = Array(line.utf8)
        bytes.withUnsafeMutableBytes { b in
            var offset = 0
            while offset < b.count {
                let n = write(2, b.baseAddress! + offset, b.count - offset)
                if n <= 0 { break }
                offset += n
            }
        }
    }
}
