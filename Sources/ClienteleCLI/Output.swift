import Audit
import Projections
import Replay
#if canImport(Glibc)
import Glibc
#endif

/// Buffered writing to standard output and standard error without Foundation.
enum Output {
    /// Writes bytes to a file descriptor, retrying short writes; returns false if the reader went away.
    @discardableResult
    static func write(_ bytes: [UInt8], to fd: Int32 = STDOUT_FILENO) -> Bool {
        bytes.withUnsafeBytes { raw in
            var offset = 0
            while offset < raw.count {
                let n = Glibc.write(fd, raw.baseAddress! + offset, raw.count - offset)
                if n < 0 {
                    if errno == EINTR { continue }
                    return false
                }
                offset += n
            }
            return true
        }
    }

    /// Prints a line to standard output.
    static func line(_ text: String) { write(Array((text + "\n").utf8)) }

    /// Prints one CSV record: each cell quoted when it holds a comma, a quote or a line break
    /// (RFC 4180), so that ids and texts of any content stay in their column.
    static func csv(_ cells: [String]) { line(csvText(cells)) }

    /// One CSV record's text, without its line end (see `csv`).
    static func csvText(_ cells: [String]) -> String { cells.map(CSV.cell).joined(separator: ",") }

    /// Prints a line to standard error.
    static func error(_ text: String) { write(Array((text + "\n").utf8), to: STDERR_FILENO) }

    /// True when standard error is a terminal (progress goes there only then).
    static var stderrIsTerminal: Bool { isatty(STDERR_FILENO) != 0 }
}

/// A table aligned for an 80-column terminal: columns padded to their widest cell, numbers right-aligned.
struct TextTable {
    var header: [String]
    var rows: [[String]] = []
    var rightAligned: Set<Int> = []

    func render() -> String {
        var widths = header.map { $0.count }
        for row in rows { for (i, cell) in row.enumerated() { widths[i] = max(widths[i], cell.count) } }
        func format(_ row: [String]) -> String {
            row.enumerated().map { i, cell in
                let pad = String(repeating: " ", count: widths[i] - cell.count)
                return rightAligned.contains(i) ? pad + cell : cell + pad
            }.joined(separator: "  ").trimmingTrailingSpaces()
        }
        var lines = [format(header), widths.map { String(repeating: "-", count: $0) }.joined(separator: "  ")]
        lines += rows.map(format)
        return lines.joined(separator: "\n")
    }
}

extension String {
    func trimmingTrailingSpaces() -> String {
        var s = Substring(self)
        while s.last == " " { s = s.dropLast() }
        return String(s)
    }
}

/// Number formatting for people, without Foundation's formatters.
enum Format {
    /// 1234567 → "1,234,567".
    static func grouped(_ n: Int) -> String {
        let digits = String(n.magnitude)
        var out = ""
        for (i, c) in digits.enumerated() {
            if i > 0 && (digits.count - i) % 3 == 0 { out.append(",") }
            out.append(c)
        }
        return n < 0 ? "-" + out : out
    }

    /// A decimal with `places` digits after the point.
    static func fixed(_ x: Double, _ places: Int) -> String {
        guard x.isFinite else { return "\(x)" }
        return Decimals.fixed(x, places)
    }

    /// Bytes for people, in binary units: "12.3 MiB".
    static func bytes(_ n: Int) -> String {
        let units = ["B", "KiB", "MiB", "GiB", "TiB"]
        var x = Double(n)
        var u = 0
        while x >= 1024 && u < units.count - 1 { x /= 1024; u += 1 }
        return u == 0 ? "\(n) B" : fixed(x, 1) + " " + units[u]
    }
}

/// A monotonic clock for measuring how long work takes.
enum Clock {
    static func seconds() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    }
}

/// A failure while running a command, printed as one line (`Error: …`) with no usage text.
struct CommandFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

extension RebuildPhases {
    /// "fold 7.41 s, sort 0.07 s, write 1.02 s, sync 0.22 s".
    var described: String {
        [("fold", fold), ("sort", sort), ("write", write), ("sync", sync)].map { "\($0.0) \(Format.fixed($0.1, 2)) s" }.joined(separator: ", ")
    }
}
