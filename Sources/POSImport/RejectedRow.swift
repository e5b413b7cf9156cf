/// A row of an export that could not be turned into (part of) a receipt, with what to fix.
///
/// When one row of a multi-row receipt is bad the whole receipt is rejected: every one of its rows
/// is reported, the bad one with the reason, the others saying which receipt and line sank them.
public struct RejectedRow: Sendable, Hashable, CustomStringConvertible {
    /// The path of the file, as given to the reader.
    public var file: String
    /// The 1-based physical line where the row starts (the header is line 1).
    public var line: Int
    /// The header name of the column at fault, when one column is.
    public var column: String?
    /// Why, in words a store's IT person can act on, e.g. `Qty '1,0.0' is not a number`.
    public var reason: String
    /// The row as it stands in the file (decoded to UTF-8, without its line ending).
    public var rawRow: String

    /// A rejected row at `file`:`line`.
    public init(file: String, line: Int, column: String?, reason: String, rawRow: String) {
        self.file = file
        self.line = line
        self.column = column
        self.reason = reason
        self.rawRow = rawRow
    }

    /// `file:line: column: reason`, the form a compiler would print.
    public var description: String {
        if let column { return "\(file):\(line): \(column): \(reason)" }
        return "\(file):\(line): \(reason)"
    }
}

/// A receipt that was read cleanly but deliberately not imported, and why (a voided Shopify
/// order, a cancelled Loyverse receipt): nothing was sold, so there is nothing for the ledger.
public struct SkippedReceipt: Sendable, Hashable, CustomStringConvertible {
    /// The path of the file.
    public var file: String
    /// The profile that read it (see ``ImportedReceipt/profile``).
    public var profile: String
    /// The receipt id as the export gives it.
    public var receiptId: String?
    /// Why it was left out, e.g. `order voided on 2021-05-17 14:11:03 +0200 (Financial Status voided)`.
    public var reason: String
    /// The 1-based physical lines of its rows.
    public var fileLines: [Int]

    /// A receipt left out of the import.
    public init(file: String, profile: String, receiptId: String?, reason: String, fileLines: [Int]) {
        self.file = file
        self.profile = profile
        self.receiptId = receiptId
        self.reason = reason
        self.fileLines = fileLines
    }

    /// `file:line: receipt ID skipped: reason`.
    public var description: String {
        "\(file):\(fileLines.first ?? 0): receipt \(receiptId ?? "(no id)") skipped: \(reason)"
    }
}

/// One thing a ``POSFileReader`` yields, in file order.
public enum POSRecord: Sendable, Hashable {
    /// A receipt read in full.
    case receipt(ImportedReceipt)
    /// A row that could not be read (its receipt, if it had other rows, is rejected with it).
    case rejected(RejectedRow)
    /// A receipt read cleanly but left out on purpose (voided, cancelled before payment).
    case skipped(SkippedReceipt)
}
