#if canImport(Glibc)
import Glibc
#endif

/// A streaming RFC 4180 reader over UTF-8 bytes: quoted fields holding delimiters, quotes (`""`)
/// and line breaks; CRLF, LF or lone CR line ends; one record in memory at a time.
///
/// Lenient where exports are sloppy: a quote inside an unquoted field, or text after a closing
/// quote, is kept as written; blank lines are skipped. Only an unterminated quote at the end of the
/// input is an error (``POSImportError/truncatedFile(path:quoteOpenedOnLine:)``).
///
/// - Complexity: O(n) in the bytes read; memory is one input block plus the longest record.
public final class CSVReader {
    /// The field separator: `,`, `;` or tab.
    public let delimiter: UInt8
    /// The physical line (1-based) on which the current record starts.
    public private(set) var line = 0
    /// How many fields the current record has.
    public var fieldCount: Int { fieldEnds.count }
    /// Whether the current record has any byte above 0x7F (and so may hold invalid UTF-8).
    public private(set) var hasNonASCII = false

    private let input: ByteInput
    private let path: String
    private var buffer: UnsafeMutablePointer<UInt8>
    private var capacity: Int
    private var start = 0          // first byte of the current record in `buffer`
    private var end = 0            // bytes filled in `buffer`
    private var recordEnd = 0      // end of the current record's text (before its line end)
    private var nextLine = 1       // the physical line the next record starts on
    private var eof = false
    private var started = false    // a record has been scanned (so a line end precedes the next)
    private var fieldData: UnsafeMutablePointer<UInt8>
    private var fieldDataCapacity: Int
    private var fieldLength = 0
    private var fieldEnds: [Int] = []

    /// How much is read from the input at a time.
    private let blockSize: Int

    /// Reads `input`, already positioned after any byte-order mark, `blockSize` bytes at a time.
    init(input: ByteInput, path: String, delimiter: UInt8, blockSize: Int = 1 << 20) {
        self.input = input
        self.path = path
        self.delimiter = delimiter
        self.blockSize = blockSize
        capacity = blockSize * 2
        buffer = .allocate(capacity: capacity)
        fieldDataCapacity = 1 << 12
        fieldData = .allocate(capacity: fieldDataCapacity)
        fieldEnds.reserveCapacity(128)
    }

    /// Opens a UTF-8 file (a leading byte-order mark is skipped) with the given delimiter.
    public convenience init(path: String, delimiter: UInt8 = UInt8(ascii: ",")) throws(POSImportError) {
        try self.init(path: path, delimiter: delimiter, blockSize: 1 << 20)
    }

    /// Opens a UTF-8 file reading `blockSize` bytes at a time (small blocks test the block seams).
    convenience init(path: String, delimiter: UInt8, blockSize: Int) throws(POSImportError) {
        let head = try FileInput.head(path: path, count: 3)
        let bom = head == [0xEF, 0xBB, 0xBF] ? 3 : 0
        self.init(input: try FileInput(path: path, skip: bom), path: path, delimiter: delimiter, blockSize: blockSize)
    }

    deinit {
        buffer.deallocate()
        fieldData.deallocate()
    }

    /// Bytes of the file consumed so far (for progress reporting).
    public var fileBytesConsumed: Int { input.fileBytesConsumed }

    /// Moves to the next record; false at the end of the input.
    /// - Throws: ``POSImportError/truncatedFile(path:quoteOpenedOnLine:)`` when the input ends inside
    ///   quotes, or a read or decoding error from the file.
    public func next() throws(POSImportError) -> Bool {
        while true {
            guard try scanRecord() else { return false }
            // A blank line (one empty field) is not a record.
            if fieldEnds.count == 1 && fieldLength == 0 { continue }
            return true
        }
    }

    /// The bytes of field `i` (unquoted, `""` undoubled) for the length of `body`.
    @inline(__always)
    public func withField<R, E: Error>(_ i: Int, _ body: (UnsafeBufferPointer<UInt8>) throws(E) -> R) throws(E) -> R {
        let lo = i == 0 ? 0 : fieldEnds[i - 1]
        return try body(UnsafeBufferPointer(start: fieldData + lo, count: fieldEnds[i] - lo))
    }

    /// Field `i` as text (invalid UTF-8 is replaced by U+FFFD; check ``hasNonASCII`` first to refuse it).
    public func field(_ i: Int) -> String {
        withField(i) { String(decoding: $0, as: UTF8.self) }
    }

    /// All fields of the current record as text.
    public var fields: [String] { (0..<fieldCount).map(field) }

    /// The current record as it stands in the input, without its line end.
    public var rawRecord: String {
        String(decoding: UnsafeBufferPointer(start: buffer + start, count: recordEnd - start), as: UTF8.self)
    }

    /// The bytes of the current record as it stands in the input, for the length of `body`.
    public func withRawRecord<R>(_ body: (UnsafeBufferPointer<UInt8>) -> R) -> R {
        body(UnsafeBufferPointer(start: buffer + start, count: recordEnd - start))
    }

    /// Whether field `i` is valid UTF-8.
    public func fieldIsValidUTF8(_ i: Int) -> Bool {
        withField(i) { b in
            var it = b.makeIterator()
            var decoder = UTF8()
            while true {
                switch decoder.decode(&it) {
                case .scalarValue: continue
                case .emptyInput: return true
                case .error: return false
                }
            }
        }
    }

    // MARK: scanning

    /// Makes sure `buffer[i]` is filled, reading more input (after moving the current record to the
    /// front) if needed; returns the possibly moved index, or nil at the end of the input.
    @inline(__always)
    private func ensure(_ i: inout Int) throws(POSImportError) -> Bool {
        if i < end { return true }
        return try refill(&i)
    }

    private func refill(_ i: inout Int) throws(POSImportError) -> Bool {
        if eof { return false }
        if start > 0 {
            let keep = end - start
            if keep > 0 { memmove(buffer, buffer + start, keep) }
            i -= start
            end = keep
            start = 0
        }
        if capacity - end < blockSize {
            let newCapacity = capacity * 2
            let bigger = UnsafeMutablePointer<UInt8>.allocate(capacity: newCapacity)
            bigger.update(from: buffer, count: end)
            buffer.deallocate()
            buffer = bigger
            capacity = newCapacity
        }
        let n = try input.read(into: buffer + end, capacity: capacity - end)
        if n == 0 { eof = true; return false }
        end += n
        return i < end
    }

    @inline(__always)
    private func appendField(_ src: UnsafePointer<UInt8>, _ count: Int) {
        if fieldLength + count > fieldDataCapacity { growFieldData(fieldLength + count) }
        (fieldData + fieldLength).update(from: src, count: count)
        fieldLength += count
    }

    @inline(__always)
    private func appendField(byte: UInt8) {
        if fieldLength + 1 > fieldDataCapacity { growFieldData(fieldLength + 1) }
        fieldData[fieldLength] = byte
        fieldLength += 1
    }

    private func growFieldData(_ needed: Int) {
        var c = fieldDataCapacity * 2
        while c < needed { c *= 2 }
        let bigger = UnsafeMutablePointer<UInt8>.allocate(capacity: c)
        bigger.update(from: fieldData, count: fieldLength)
        fieldData.deallocate()
        fieldData = bigger
        fieldDataCapacity = c
    }

    /// Scans one record (possibly blank); false when the input is exhausted before any byte.
    private func scanRecord() throws(POSImportError) -> Bool {
        // Step over the previous record's line end.
        start = recordEnd
        var i = start
        var haveByte = false
        if started { haveByte = try ensure(&i) }
        if haveByte {
            if buffer[i] == 13 {
                i += 1
                let more = try ensure(&i)
                if more && buffer[i] == 10 { i += 1 }
            } else if buffer[i] == 10 {
                i += 1
            }
        }
        started = true
        start = i
        recordEnd = i
        fieldLength = 0
        fieldEnds.removeAll(keepingCapacity: true)
        hasNonASCII = false
        guard try ensure(&i) else { return false }
        line = nextLine
        let delim = delimiter
        var high: UInt8 = 0
        var atFieldStart = true
        while true {
            guard try ensure(&i) else {
                // End of input: the record ends here.
                recordEnd = i
                fieldEnds.append(fieldLength)
                break
            }
            let c = buffer[i]
            if c == 34 && atFieldStart {
                // A quoted field: copy up to the closing quote, undoubling "".
                let openedOn = nextLine
                i += 1
                while true {
                    guard try ensure(&i) else { throw .truncatedFile(path: path, quoteOpenedOnLine: openedOn) }
                    var j = i
                    while j < end {
                        let d = buffer[j]
                        if d == 34 { break }
                        if d == 10 { nextLine += 1 } else if d == 13, j + 1 < end, buffer[j + 1] != 10 { nextLine += 1 }
                        high |= d
                        j += 1
                    }
                    appendField(buffer + i, j - i)
                    i = j
                    if i == end { continue }   // no closing quote in this block: read on
                    // buffer[i] is a quote: the closing one, or the first of a doubled pair.
                    i += 1
                    let more = try ensure(&i)
                    if more && buffer[i] == 34 {
                        appendField(byte: 34)
                        i += 1
                        continue
                    }
                    break
                }
                atFieldStart = false
                continue
            }
            if c == delim {
                fieldEnds.append(fieldLength)
                atFieldStart = true
                i += 1
                continue
            }
            if c == 10 || c == 13 {
                recordEnd = i
                fieldEnds.append(fieldLength)
                nextLine += 1
                break
            }
            // Unquoted run: copy up to the next delimiter, quote or line end.
            var j = i + 1
            while j < end {
                let d = buffer[j]
                if d == delim || d == 10 || d == 13 || d == 34 { break }
                high |= d
                j += 1
            }
            high |= c
            appendField(buffer + i, j - i)
            i = j
            atFieldStart = false
        }
        hasNonASCII = high >= 0x80
        return true
    }
}
