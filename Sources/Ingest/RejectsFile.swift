import LedgerJSON
import POSImport
#if canImport(Glibc)
import Glibc
#endif

/// The rejects file: one JSON object per rejected row (JSON Lines), in the order found:
///
///     {"file":"orders.csv","line":14,"column":"Lineitem quantity","reason":"…","row":"#1043,…"}
///
/// `line` is the row's first physical line in the file (the header is line 1), `column` the
/// header of the column at fault (or the receipt field, such as `quantity`, when the row was read
/// but cannot be recorded; null when the whole row is at fault), `row` the row as it stands in
/// the file, decoded to UTF-8, without its line end. The file is replaced at the start of a run.
public final class RejectsFile {
    /// Where it is written.
    public let path: String
    private let fd: Int32
    private var buffer: [UInt8] = []

    /// Creates (or empties) the rejects file at `path`.
    /// - Throws: `IngestError.rejectsFile` when it cannot be created.
    public init(path: String) throws(IngestError) {
        self.path = path
        fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw .rejectsFile(path: path, reason: String(cString: strerror(errno))) }
        buffer.reserveCapacity(1 << 16)
    }

    deinit { close(fd) }

    /// Adds one rejected row.
    public func write(_ row: RejectedRow) throws(IngestError) {
        buffer.append(contentsOf: Self.line(row))
        if buffer.count >= 1 << 16 { try flush() }
    }

    /// Writes what is buffered to the file.
    public func flush() throws(IngestError) {
        var offset = 0
        while offset < buffer.count {
            let n = buffer.withUnsafeBytes { Glibc.write(fd, $0.baseAddress! + offset, $0.count - offset) }
            if n < 0 {
                if errno == EINTR { continue }
                throw .rejectsFile(path: path, reason: String(cString: strerror(errno)))
            }
            offset += n
        }
        buffer.removeAll(keepingCapacity: true)
    }

    /// The JSON line of one rejected row, with its newline.
    public static func line(_ row: RejectedRow) -> [UInt8] {
        var w = JSONWriter(capacity: 128 + row.rawRow.utf8.count)
        w.raw("{\"file\":"); w.string(row.file)
        w.raw(",\"line\":"); w.number(Int64(row.line))
        w.raw(",\"column\":")
        if let column = row.column { w.string(column) } else { w.raw("null") }
        w.raw(",\"reason\":"); w.string(row.reason)
        w.raw(",\"row\":"); w.string(row.rawRow)
        w.raw("}\n")
        return w.bytes
    }
}
