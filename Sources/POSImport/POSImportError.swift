/// Why a whole file cannot be read; each case says what the user can do about it.
///
/// Row-level problems are not errors: they become ``RejectedRow`` values and reading goes on.
public enum POSImportError: Error, Sendable, Hashable, CustomStringConvertible {
    /// There is no file at the path, or it cannot be opened (the text is the system's reason).
    case cannotOpen(path: String, reason: String)
    /// Reading failed part-way (a disk or network-share error).
    case readFailed(path: String, reason: String)
    /// The file has no bytes, or nothing but a byte-order mark and blank lines.
    case emptyFile(path: String)
    /// The file holds binary data (NUL bytes, or mostly control bytes): not a CSV export at all —
    /// perhaps an `.xlsx` workbook or a zip archive renamed `.csv`.
    case binaryFile(path: String, detail: String)
    /// The bytes are neither UTF-8 nor GB18030 (or not the encoding the `encoding` option forced).
    case undecodableText(path: String, encoding: String, byteOffset: Int)
    /// The file ends inside a quoted field: it was cut off (an interrupted copy or download).
    case truncatedFile(path: String, quoteOpenedOnLine: Int)
    /// The header row has none of the columns any known export has.
    case unrecognizedHeader(path: String, columns: [String])
    /// The header looks like `profile`'s, but columns it needs are missing.
    case missingColumns(path: String, profile: String, missing: [String])
    /// Every date in `column` reads both as day/month and month/day (no part above 12).
    case ambiguousDateOrder(path: String, column: String, example: String)
    /// `column` has dates that only make sense day-first and others only month-first.
    case inconsistentDateOrder(path: String, column: String, dayFirstExample: String, monthFirstExample: String)
    /// The export's times carry no zone and no `timeZone` option was given.
    case timeZoneRequired(path: String, profile: String)
    /// A time zone name (from the `timeZone` option or a mapping file) that is not known.
    case unknownTimeZone(String)
    /// The export does not say its currency and no `currency` option was given.
    case currencyRequired(path: String, profile: String)
    /// A currency code that is not an ISO 4217 code.
    case unknownCurrency(String)
    /// The mapping file cannot be used (the text says where and why).
    case invalidMapping(path: String, reason: String)
    /// An option value that cannot be used.
    case invalidOption(name: String, reason: String)

    /// What went wrong and what to do, in one or two sentences.
    public var description: String {
        switch self {
        case .cannotOpen(let path, let reason):
            return "cannot open \(path): \(reason)"
        case .readFailed(let path, let reason):
            return "reading \(path) failed: \(reason); check the disk or copy the file locally and try again"
        case .emptyFile(let path):
            return "\(path) is empty: export the data again from the POS"
        case .binaryFile(let path, let detail):
            return "\(path) is not a text (CSV) file (\(detail)); if it is an Excel workbook, save it as CSV UTF-8 first"
        case .undecodableText(let path, let encoding, let offset):
            return "\(path) is not valid \(encoding) text (byte \(offset)); export it as UTF-8, or set the encoding option (utf8 or gb18030) to the one the POS used"
        case .truncatedFile(let path, let line):
            return "\(path) ends inside a quoted field opened on line \(line): the file was cut off; copy or export it again"
        case .unrecognizedHeader(let path, let columns):
            let shown = columns.prefix(8).joined(separator: ", ")
            return "\(path): the header (\(shown)\(columns.count > 8 ? ", …" : "")) matches no known export (Shopify, Square, UCI Online Retail, Loyverse); write a mapping file for this POS"
        case .missingColumns(let path, let profile, let missing):
            return "\(path) looks like a \(profile) export but lacks the column\(missing.count == 1 ? "" : "s") \(missing.joined(separator: ", ")); export it again with all columns"
        case .ambiguousDateOrder(let path, let column, let example):
            return "\(path): the dates in \(column) (e.g. '\(example)') can be read day-first or month-first; give the order with --date-format dmy or mdy (date_format in a mapping file)"
        case .inconsistentDateOrder(let path, let column, let d, let m):
            return "\(path): \(column) mixes day-first dates ('\(d)') with month-first ones ('\(m)'); fix the export or give the order with --date-format (date_format in a mapping file)"
        case .timeZoneRequired(let path, let profile):
            return "\(path): the times in this \(profile) export carry no time zone; give the store's IANA zone with --timezone (time_zone in a mapping file), e.g. Europe/London"
        case .unknownTimeZone(let name):
            return "unknown time zone '\(name)': use an IANA name such as America/New_York or Asia/Shanghai"
        case .currencyRequired(let path, let profile):
            return "\(path): this \(profile) export does not say its currency; set the currency option (an ISO 4217 code such as THB)"
        case .unknownCurrency(let code):
            return "unknown currency '\(code)': use an ISO 4217 code such as USD, EUR or CNY"
        case .invalidMapping(let path, let reason):
            return "mapping file \(path): \(reason)"
        case .invalidOption(let name, let reason):
            return "option \(name): \(reason)"
        }
    }
}
