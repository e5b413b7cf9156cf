import Audit
import Projections
import Replay
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// Writing to standard output and standard error without Foundation. Standard output is
/// buffered when it is not a terminal: a million-row CSV goes out in 64 KiB writes, not one
/// system call a row. The buffer is written out when it fills, before anything goes to standard
/// error (so that an error follows the output before it), by `flush()`, and at exit.
enum Output {
    /// Standard output's bytes not written yet, and whether its reader went away.
    private struct Pending {
        var bytes: [UInt8] = []
        var closed = false
    }

    private static let pending = Mutex(Pending())
    private static let capacity = 1 << 16
    private static let stdoutIsTerminal = isatty(STDOUT_FILENO) != 0
    /// Registers the flush at exit, once, on the first buffered write: every way out of the
    /// command (a return, an error, `--help`) ends in `exit()`.
    private static let flushedAtExit: Void = { atexit { Output.flush() } }()

    /// Writes bytes to standard output (buffered unless it is a terminal) or to another file
    /// descriptor (at once, after standard output's buffer); returns false if the reader went away.
    @discardableResult
    static func write(_ bytes: [UInt8], to fd: Int32 = STDOUT_FILENO) -> Bool {
        guard fd == STDOUT_FILENO else {
            if fd == STDERR_FILENO { flush() }
            return writeAll(bytes, to: fd)
        }
        return pending.withLock { p -> Bool in
            guard !p.closed else { return false }
            if stdoutIsTerminal || p.bytes.count + bytes.count > capacity {
                if !p.bytes.isEmpty { p.closed = !writeAll(p.bytes, to: fd); p.bytes.removeAll(keepingCapacity: true) }
                if p.closed { return false }
                // Large writes go out directly, and their failure is known at once.
                if stdoutIsTerminal || bytes.count >= capacity { p.closed = !writeAll(bytes, to: fd); return !p.closed }
            }
            _ = flushedAtExit
            if p.bytes.capacity == 0 { p.bytes.reserveCapacity(capacity) }
            p.bytes.append(contentsOf: bytes)
            return true
        }
    }

    /// Writes out what standard output holds: before a long wait (a server's start-up lines), and
    /// at exit. Returns false if the reader went away.
    @discardableResult
    static func flush() -> Bool {
        pending.withLock { p -> Bool in
            if !p.bytes.isEmpty, !p.closed { p.closed = !writeAll(p.bytes, to: STDOUT_FILENO) }
            p.bytes.removeAll(keepingCapacity: true)
            return !p.closed
        }
    }

    /// Writes every byte to a file descriptor, retrying short and interrupted writes.
    private static func writeAll(_ bytes: [UInt8], to fd: Int32) -> Bool {
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

    /// Prints one CSV record: each cell quoted when it holds a comma, a quote or a line break,
    /// the record ended by CRLF (RFC 4180, as the audit's and replay's CSV files), so that ids and
    /// texts of any content stay in their column.
    static func csv(_ cells: [String]) { write(Array((csvText(cells) + "\r\n").utf8)) }

    /// One CSV record's text, without its line end (see `csv`).
    static func csvText(_ cells: [String]) -> String { cells.map(CSV.cell).joined(separator: ",") }

    /// Prints a line to standard error.
    static func error(_ text: String) { write(Array((text + "\n").utf8), to: STDERR_FILENO) }

    /// True when standard error is a terminal (progress goes there only then).
    static var stderrIsTerminal: Bool { isatty(STDERR_FILENO) != 0 }
}

/// A table aligned for an 80-column terminal: columns padded to their widest cell (in terminal
/// columns: a Chinese character takes two), numbers right-aligned. A table wider than 80 columns
/// narrows its `truncatable` columns in turn (each cell cut with "…") or, failing that, wraps its
/// last column onto lines of their own under it.
struct TextTable {
    var header: [String]
    var rows: [[String]] = []
    var rightAligned: Set<Int> = []
    /// The columns to cut, first to last, when the table is too wide (a category, a name, an id:
    /// text whose start says enough; the CSV and JSON keep it whole).
    var truncatable: [Int] = []
    /// Of the `truncatable` columns, those cut in the middle ("CP-2026…0812"): ids whose end tells
    /// one from the next as much as their start.
    var cutInMiddle: Set<Int> = []
    /// The terminal's width.
    static let width = 80

    func render() -> String {
        var widths = header.map(Terminal.columns)
        for row in rows { for (i, cell) in row.enumerated() { widths[i] = max(widths[i], Terminal.columns(cell)) } }
        let gaps = 2 * (widths.count - 1)
        var excess = widths.reduce(gaps, +) - Self.width
        for t in truncatable where excess > 0 && t < widths.count {
            let narrower = min(widths[t], max(Terminal.columns(header[t]), 8, widths[t] - excess))
            excess -= widths[t] - narrower
            widths[t] = narrower
        }
        // The last column, wrapped when the others leave it fewer columns than its widest cell
        // (but at least 20 of its own, beside the others).
        let last = widths.count - 1
        var wrapAt: Int?
        if excess > 0, last > 0, !rightAligned.contains(last) {
            let room = max(20, widths[last] - excess)
            if room < widths[last] { wrapAt = room; widths[last] = room }
        }
        func format(_ row: [String]) -> [String] {
            var cells = row.enumerated().map { i, cell in
                guard truncatable.contains(i), Terminal.columns(cell) > widths[i] else { return cell }
                guard cutInMiddle.contains(i) else { return Terminal.prefix(cell, columns: widths[i] - 1) + "…" }
                let head = (widths[i] - 1) / 2
                return Terminal.prefix(cell, columns: head) + "…" + Terminal.suffix(cell, columns: widths[i] - 1 - head)
            }
            var more: [String] = []
            if let wrapAt, cells.count == widths.count, Terminal.columns(cells[last]) > wrapAt {
                let lines = Terminal.wrap(cells[last], columns: wrapAt)
                cells[last] = lines[0]
                let indent = String(repeating: " ", count: widths.dropLast().reduce(gaps, +))
                more = lines.dropFirst().map { indent + $0 }
            }
            let line = cells.enumerated().map { i, cell in
                let pad = String(repeating: " ", count: max(0, widths[i] - Terminal.columns(cell)))
                return rightAligned.contains(i) ? pad + cell : cell + pad
            }.joined(separator: "  ").trimmingTrailingSpaces()
            return [line] + more
        }
        var lines = format(header) + [widths.map { String(repeating: "-", count: $0) }.joined(separator: "  ")]
        for row in rows { lines += format(row) }
        return lines.joined(separator: "\n")
    }
}

/// How many columns of a terminal text takes: two for the East Asian wide and fullwidth
/// characters (Chinese, Japanese, Korean, fullwidth forms, most emoji), none for combining marks,
/// one for the rest.
enum Terminal {
    static func columns(_ text: String) -> Int {
        text.unicodeScalars.reduce(0) { $0 + columns($1) }
    }

    static func columns(_ s: Unicode.Scalar) -> Int {
        let v = s.value
        if v < 0x300 { return 1 }
        switch s.properties.generalCategory {
        case .nonspacingMark, .enclosingMark, .format: return 0
        default: break
        }
        if v == 0x200D || (0xFE00...0xFE0F).contains(v) { return 0 }
        return isWide(v) ? 2 : 1
    }

    /// The East Asian Wide and Fullwidth ranges (Unicode's EastAsianWidth.txt, W and F), and the
    /// emoji shown two columns wide.
    static func isWide(_ v: UInt32) -> Bool {
        switch v {
        case 0x1100...0x115F, 0x231A...0x231B, 0x2329...0x232A, 0x23E9...0x23EC, 0x23F0, 0x23F3, 0x25FD...0x25FE,
             0x2614...0x2615, 0x2648...0x2653, 0x267F, 0x2693, 0x26A1, 0x26AA...0x26AB, 0x26BD...0x26BE, 0x26C4...0x26C5,
             0x26CE, 0x26D4, 0x26EA, 0x26F2...0x26F3, 0x26F5, 0x26FA, 0x26FD, 0x2705, 0x270A...0x270B, 0x2728, 0x274C,
             0x274E, 0x2753...0x2755, 0x2757, 0x2795...0x2797, 0x27B0, 0x27BF, 0x2B1B...0x2B1C, 0x2B50, 0x2B55,
             0x2E80...0x303E, 0x3041...0x33FF, 0x3400...0x4DBF, 0x4E00...0x9FFF, 0xA000...0xA4CF, 0xA960...0xA97F,
             0xAC00...0xD7A3, 0xF900...0xFAFF, 0xFE10...0xFE19, 0xFE30...0xFE6F, 0xFF00...0xFF60, 0xFFE0...0xFFE6,
             0x16FE0...0x18CFF, 0x1B000...0x1B2FF, 0x1F004, 0x1F0CF, 0x1F18E, 0x1F191...0x1F19A, 0x1F200...0x1F251,
             0x1F300...0x1F320, 0x1F32D...0x1F335, 0x1F337...0x1F37C, 0x1F37E...0x1F393, 0x1F3A0...0x1F3CA,
             0x1F3CF...0x1F3D3, 0x1F3E0...0x1F3F0, 0x1F3F4, 0x1F3F8...0x1F43E, 0x1F440, 0x1F442...0x1F4FC,
             0x1F4FF...0x1F53D, 0x1F54B...0x1F54E, 0x1F550...0x1F567, 0x1F57A, 0x1F595...0x1F596, 0x1F5A4,
             0x1F5FB...0x1F64F, 0x1F680...0x1F6C5, 0x1F6CC, 0x1F6D0...0x1F6D2, 0x1F6D5...0x1F6D7, 0x1F6DC...0x1F6DF,
             0x1F6EB...0x1F6EC, 0x1F6F4...0x1F6FC, 0x1F7E0...0x1F7EB, 0x1F7F0, 0x1F90C...0x1F93A, 0x1F93C...0x1F945,
             0x1F947...0x1F9FF, 0x1FA70...0x1FAFF, 0x20000...0x2FFFD, 0x30000...0x3FFFD:
            return true
        default:
            return false
        }
    }

    /// The longest start of `text` that takes at most `columns` columns.
    static func prefix(_ text: String, columns limit: Int) -> String {
        var out = "", used = 0
        for c in text {
            let w = columns(String(c))
            if used + w > limit { break }
            out.append(c)
            used += w
        }
        return out
    }

    /// The longest end of `text` that fits in `columns` columns.
    static func suffix(_ text: String, columns limit: Int) -> String {
        var out: [Character] = [], used = 0
        for c in text.reversed() {
            let w = columns(String(c))
            if used + w > limit { break }
            out.append(c)
            used += w
        }
        return String(out.reversed())
    }

    /// `text` in lines of at most `columns` columns, broken at spaces where it can be (a word
    /// longer than a line is cut).
    static func wrap(_ text: String, columns limit: Int) -> [String] {
        var lines: [String] = [], line = "", used = 0
        for word in text.split(separator: " ", omittingEmptySubsequences: false).map(String.init) {
            var word = word, w = columns(word)
            if used > 0 && used + 1 + w <= limit {
                line += " " + word; used += 1 + w
                continue
            }
            if used > 0 { lines.append(line); line = ""; used = 0 }
            while w > limit {
                let head = prefix(word, columns: limit)
                lines.append(head)
                word = String(word.dropFirst(head.count)); w = columns(word)
            }
            line = word; used = w
        }
        lines.append(line)
        return lines
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
