import Ledger

/// Reads a POS export file into receipts, one at a time, in constant memory whatever its size.
///
/// The reader detects the encoding, delimiter and export format (or takes them from the options),
/// then ``next()`` yields, in file order, each receipt when its last row has been read (when the
/// next receipt id starts, or the file ends), each rejected row, and each receipt deliberately
/// skipped. Rows of one receipt must be consecutive, as every supported export writes them.
///
/// ```swift
/// let reader = try POSFileReader(path: "orders_export.csv")
/// while let record = try reader.next() {
///     switch record {
///     case .receipt(let r): …
///     case .rejected(let row): print(row)
///     case .skipped(let s): print(s)
///     }
/// }
/// ```
///
/// Some files are read twice: once quickly first, when the day/month order of their dates must be
/// decided from the whole file, or to link Square refunds to their payments.
///
/// Not thread-safe: use one reader from one task or thread at a time.
/// - Complexity: O(n) in the file's bytes; memory holds one input block and one receipt.
public final class POSFileReader {
    /// The file being read.
    public let path: String
    /// The profile reading it (`shopify`, …, `mapping:NAME`).
    public let profileName: String
    /// The encoding it is read in.
    public let encoding: TextEncoding
    /// Its field separator.
    public let delimiter: UInt8
    /// The header row as written.
    public let header: [String]
    /// The day/month order in use (nil when every date is year-first).
    public let dateOrder: DateOrder?
    /// The file's size in bytes, for progress.
    public let fileSize: Int
    /// Bytes of the file read so far, for progress.
    public var bytesRead: Int { csv.fileBytesConsumed }
    /// Data rows read so far.
    public private(set) var rowsRead = 0

    private let csv: CSVReader
    private let context: RowContext
    private let finisher: ReceiptFinisher
    private let fixedCurrency: String?
    private let refundLinks: RefundLinks
    private var draft: ReceiptDraft?
    private var arena: [UInt8] = []
    /// The rows of the receipt finished last: kept until the next one is finished, for ``rawRows(of:)``.
    private var finishedArena: [UInt8] = []
    private var finishedRows: [(line: Int, range: Range<Int>)] = []
    private var output: [POSRecord] = []
    private var outputIndex = 0
    private var finished = false

    /// Opens `path` and reads its header.
    /// - Parameters:
    ///   - path: the export file.
    ///   - options: what the file does not say itself (time zone, currency, date order…).
    /// - Throws: ``POSImportError`` when the file cannot be read as an export at all: missing, empty,
    ///   binary, undecodable, truncated, an unknown header, dates whose order cannot be decided, or a
    ///   time zone or currency needed but not given.
    public init(path: String, options: POSImportOptions = POSImportOptions()) throws(POSImportError) {
        self.path = path
        let mapping = options.mapping
        let sniffed = try EncodingSniffer.sniff(path: path, forced: options.encoding ?? mapping?.encoding)
        encoding = sniffed.encoding
        func openInput() throws(POSImportError) -> ByteInput {
            let file = try FileInput(path: path, skip: sniffed.skip)
            switch sniffed.encoding {
            case .utf8: return file
            case .gb18030: return try TranscodingInput(source: file, encoding: "GB18030")
            case .utf16: return try TranscodingInput(source: file, encoding: "UTF-16")
            }
        }
        let input = try openInput()
        fileSize = (input as? FileInput)?.size ?? ((try? FileInput(path: path))?.size ?? 0)
        // The delimiter, from the first decoded block's first line.
        if let forced = options.delimiter ?? mapping?.delimiterByte {
            delimiter = forced
        } else {
            let probe = try openInput()
            var first = [UInt8](repeating: 0, count: 1 << 16)
            let n = try first.withUnsafeMutableBufferPointer { (b) throws(POSImportError) -> Int in
                try probe.read(into: b.baseAddress!, capacity: b.count)
            }
            delimiter = EncodingSniffer.delimiter(firstBytes: Array(first[..<n]))
        }
        csv = CSVReader(input: input, path: path, delimiter: delimiter)
        guard try csv.next() else { throw .emptyFile(path: path) }
        header = csv.fields
        // The profile and its columns.
        let profile: ProfileDefinition
        let columns: BoundColumns
        if let mapping {
            profile = ProfileDefinition(mapping: mapping)
            columns = BoundColumns(header: header, candidates: profile.candidates)
            let missing = profile.missing(in: columns)
            if !missing.isEmpty { throw .missingColumns(path: path, profile: profile.name, missing: missing) }
        } else if let name = options.profile {
            profile = ProfileDefinition.named(name)
            columns = BoundColumns(header: header, candidates: profile.candidates)
            let missing = profile.missing(in: columns)
            if !missing.isEmpty { throw .missingColumns(path: path, profile: profile.name, missing: missing) }
        } else {
            (profile, columns) = try ProfileDefinition.detect(header: header, path: path)
        }
        profileName = profile.name
        // Currency: the option, the mapping, a column, the profile's default — or an error.
        let currency = options.currency ?? mapping?.currency
        if let currency, !Currency.isKnown(currency.uppercased()) { throw .unknownCurrency(currency) }
        fixedCurrency = currency?.uppercased()
        if fixedCurrency == nil && columns[.currency] == nil && profile.defaultCurrency == nil {
            throw .currencyRequired(path: path, profile: profile.name)
        }
        // Time zone for naive times.
        var zone: ZoneRules?
        if let name = options.timeZone ?? mapping?.timeZone {
            guard let z = ZoneCatalog().rules(named: name) else { throw .unknownTimeZone(name) }
            zone = z
        } else if profile.kind == .uci || profile.kind == .loyverse {
            throw .timeZoneRequired(path: path, profile: profile.name)
        }
        // Money and quantities.
        let mark = options.decimalMark ?? mapping?.money?.decimalMark
        let preferred = mark ?? (delimiter == 59 ? .comma : .point)
        let minor = fixedCurrency.flatMap(Currency.minorUnitDigits) ?? profile.defaultCurrency.flatMap(Currency.minorUnitDigits) ?? 2
        let money = MoneyParser(minorDigits: minor, preferredMark: preferred, strictMark: mark != nil)
        let quantities = QuantityParser(preferredMark: preferred, strictMark: mark != nil)
        // Date order: the option, the mapping, or the whole file.
        let explicitOrder = options.dateOrder ?? mapping?.dateFormat.flatMap(DateOrder.init(pattern:))
        let needsLinks = profile.kind == .squareItems && columns[.paymentReference] != nil
        let mayNeedOrder = explicitOrder == nil && profile.kind != .shopify && profile.kind != .squareItems
        var order = explicitOrder
        var links = RefundLinks()
        if mayNeedOrder || needsLinks {
            let scan = try Prescan.run(path: path, openInput: openInput, delimiter: delimiter, columns: columns,
                                       wantOrder: mayNeedOrder, wantRefundLinks: needsLinks)
            links = scan.links
            if mayNeedOrder {
                let dateColumn = columns.name(columns[.dateTime] != nil ? .dateTime : .date) ?? "date"
                switch (scan.dayFirstExample, scan.monthFirstExample) {
                case (let d?, let m?):
                    throw .inconsistentDateOrder(path: path, column: dateColumn, dayFirstExample: d, monthFirstExample: m)
                case (_?, nil): order = .dmy
                case (nil, _?): order = .mdy
                case (nil, nil):
                    if let example = scan.ambiguousExample {
                        throw .ambiguousDateOrder(path: path, column: dateColumn, example: example)
                    }
                }
            }
        }
        dateOrder = order
        refundLinks = links
        context = RowContext(csv: csv, columns: columns, profile: profile, money: money, quantities: quantities,
                             dateOrder: order, zone: zone, allowParentheses: mapping?.money?.negativeParentheses ?? true)
        finisher = ReceiptFinisher(path: path, profile: profile, mapping: mapping)
    }

    /// The next receipt, rejected row or skipped receipt in file order; nil at the end of the file.
    /// - Throws: ``POSImportError/truncatedFile(path:quoteOpenedOnLine:)`` when the file ends inside a
    ///   quoted field, or a read or decoding error. Rows already yielded stay valid.
    public func next() throws(POSImportError) -> POSRecord? {
        while true {
            if outputIndex < output.count {
                let record = output[outputIndex]
                outputIndex += 1
                return record
            }
            output.removeAll(keepingCapacity: true)
            outputIndex = 0
            if finished { return nil }
            if try csv.next() {
                rowsRead += 1
                readRow()
            } else {
                finished = true
                flush()
            }
        }
    }

    // MARK: rows

    private func readRow() {
        let line = csv.line
        let key = context.text(.receiptId)
        // A new receipt id (or a row with no id) closes the receipt being gathered.
        if let current = draft, current.key == nil || current.key != key {
            flush()
        }
        if draft == nil { draft = ReceiptDraft(key: key) }
        let rawStart = arena.count
        csv.withRawRecord { arena.append(contentsOf: $0) }
        draft!.fileLines.append(line)
        draft!.rawRanges.append(rawStart..<arena.count)
        guard draft!.failure == nil else { return }
        do throws(RowError) {
            try checkShape()
            if draft!.header == nil {
                draft!.header = try context.parseHeader(currency: fixedCurrency, refundLinks: refundLinks.originals)
            }
            try context.parseItem(into: &draft!, line: line)
        } catch {
            draft!.failure = (line, error)
        }
        if key == nil { flush() }
    }

    /// Refuses rows whose field count does not match the header (a delimiter inside an unquoted value
    /// shifts every column after it) and rows that are not valid UTF-8.
    private func checkShape() throws(RowError) {
        let n = csv.fieldCount
        if n < header.count {
            throw RowError(column: nil, reason: "has \(n) fields where the header has \(header.count): a value may hold an unquoted line break, or the row was cut short")
        }
        if n > header.count {
            for i in header.count..<n where csv.withField(i, { !$0.isEmpty }) {
                throw RowError(column: nil, reason: "has \(n) fields where the header has \(header.count): a value may hold an unquoted '\(Character(Unicode.Scalar(delimiter)))'")
            }
        }
        if csv.hasNonASCII {
            for i in 0..<min(n, header.count) where !csv.fieldIsValidUTF8(i) {
                throw RowError(column: header[i], reason: "\(header[i]) is not valid \(encoding == .utf8 ? "UTF-8" : "text"): the file may be in another encoding; set the encoding option")
            }
        }
    }

    private func flush() {
        guard let d = draft else { return }
        draft = nil
        let records = arena.withUnsafeBufferPointer { a in
            finisher.finish(d) { range in String(decoding: UnsafeBufferPointer(rebasing: a[range]), as: UTF8.self) }
        }
        output.append(contentsOf: records)
        swap(&arena, &finishedArena)
        arena.removeAll(keepingCapacity: true)
        finishedRows.removeAll(keepingCapacity: true)
        for (line, range) in zip(d.fileLines, d.rawRanges) { finishedRows.append((line, range)) }
    }

    /// The rows of `receipt` as they stand in the file (decoded to UTF-8, without line ends), for a
    /// caller that refuses a receipt after reading it and must report its rows. Only the receipt
    /// most recently yielded is kept (with its twin, for a refunded Shopify order): for any other
    /// receipt the answer is empty.
    /// - Complexity: O(the receipt's bytes).
    public func rawRows(of receipt: ImportedReceipt) -> [String] {
        guard receipt.fileLines.count == finishedRows.count,
              zip(receipt.fileLines, finishedRows).allSatisfy({ $0 == $1.line }) else { return [] }
        return finishedArena.withUnsafeBufferPointer { a in
            finishedRows.map { String(decoding: UnsafeBufferPointer(rebasing: a[$0.range]), as: UTF8.self) }
        }
    }
}
