import Ledger

/// Why one row cannot be read: the column at fault (when one is) and what to fix.
struct RowError: Error {
    var column: String?
    var reason: String
}

/// Typed access to the fields of the current CSV record, by ``ReceiptField``, with the file's
/// money, quantity, date and zone conventions. Nothing here touches Foundation.
final class RowContext {
    let csv: CSVReader
    let columns: BoundColumns
    let profile: ProfileDefinition
    /// The file's money conventions, with the minor-unit digits of the receipt being read (a
    /// file with a currency column may hold JPY, with none, and KWD, with three: `parseHeader`
    /// sets them from each receipt's currency).
    var money: MoneyParser
    let quantities: QuantityParser
    let dateOrder: DateOrder?
    let zone: ZoneRules?
    let zones = ZoneCatalog()
    let allowParentheses: Bool

    init(csv: CSVReader, columns: BoundColumns, profile: ProfileDefinition, money: MoneyParser,
         quantities: QuantityParser, dateOrder: DateOrder?, zone: ZoneRules?, allowParentheses: Bool) {
        self.csv = csv
        self.columns = columns
        self.profile = profile
        self.money = money
        self.quantities = quantities
        self.dateOrder = dateOrder
        self.zone = zone
        self.allowParentheses = allowParentheses
    }

    /// The column name of `field` for messages.
    func name(_ field: ReceiptField) -> String { columns.name(field) ?? field.rawValue }

    /// Calls `body` with the trimmed bytes of `field`, or returns nil when the column is absent or empty.
    @inline(__always)
    func bytes<R>(_ field: ReceiptField, _ body: (UnsafeBufferPointer<UInt8>) throws(RowError) -> R) throws(RowError) -> R? {
        guard let i = columns[field], i < csv.fieldCount else { return nil }
        return try csv.withField(i) { (b: UnsafeBufferPointer<UInt8>) throws(RowError) -> R? in
            var lo = 0, hi = b.count
            while lo < hi, b[lo] == 32 || b[lo] == 9 { lo += 1 }
            while hi > lo, b[hi - 1] == 32 || b[hi - 1] == 9 { hi -= 1 }
            if lo == hi { return nil }
            return try body(UnsafeBufferPointer(rebasing: b[lo..<hi]))
        }
    }

    /// The text of `field`, trimmed; nil when absent or empty.
    func text(_ field: ReceiptField) -> String? {
        try? bytes(field) { (b: UnsafeBufferPointer<UInt8>) throws(RowError) -> String in String(decoding: b, as: UTF8.self) }
    }

    /// Whether `field` has text.
    func has(_ field: ReceiptField) -> Bool {
        guard let i = columns[field], i < csv.fieldCount else { return false }
        return csv.withField(i) { b in b.contains { $0 != 32 && $0 != 9 } }
    }

    /// The amount in `field` in minor units; nil when absent or empty.
    func amount(_ field: ReceiptField) throws(RowError) -> Int64? {
        try bytes(field) { (b: UnsafeBufferPointer<UInt8>) throws(RowError) -> Int64 in
            if !allowParentheses && b.contains(40) {
                throw RowError(column: name(field), reason: "\(name(field)) '\(String(decoding: b, as: UTF8.self))' uses parentheses, which the mapping says this POS does not write")
            }
            do throws(NumberError) { return try money.parse(b) } catch {
                throw RowError(column: name(field), reason: "\(name(field)) '\(String(decoding: b, as: UTF8.self))' \(error.reason)")
            }
        }
    }

    /// The amount in `field`, 0 when empty.
    func amountOrZero(_ field: ReceiptField) throws(RowError) -> Int64 { try amount(field) ?? 0 }

    /// The amount in `field`, which must be there.
    func requiredAmount(_ field: ReceiptField) throws(RowError) -> Int64 {
        guard let v = try amount(field) else { throw RowError(column: name(field), reason: "\(name(field)) is empty") }
        return v
    }

    /// The quantity in `field`, which must be there.
    func quantity(_ field: ReceiptField) throws(RowError) -> ExactDecimal {
        let q = try bytes(field) { (b: UnsafeBufferPointer<UInt8>) throws(RowError) -> ExactDecimal in
            do throws(NumberError) { return try quantities.parse(b) } catch {
                throw RowError(column: name(field), reason: "\(name(field)) '\(String(decoding: b, as: UTF8.self))' \(error.reason)")
            }
        }
        guard let q else { throw RowError(column: name(field), reason: "\(name(field)) is empty") }
        return q
    }

    /// The text of `field`, which must be there.
    func requiredText(_ field: ReceiptField) throws(RowError) -> String {
        guard let t = text(field) else { throw RowError(column: name(field), reason: "\(name(field)) is empty") }
        return t
    }

    /// When the row happened: from one date-and-time column, or a date column and a time column,
    /// in the offset the text gives, else the row's time-zone column, else the `timeZone` option.
    func occurredAt() throws(RowError) -> Timestamp {
        let dateField: ReceiptField = columns[.dateTime] != nil ? .dateTime : .date
        var value = try bytes(dateField) { (b: UnsafeBufferPointer<UInt8>) throws(RowError) -> LocalDateTime in
            do throws(NumberError) { return try DateTimeParser.parse(b, order: dateOrder) } catch {
                throw RowError(column: name(dateField), reason: "\(name(dateField)) '\(String(decoding: b, as: UTF8.self))' \(error.reason)")
            }
        }
        guard var local = value else { throw RowError(column: name(dateField), reason: "\(name(dateField)) is empty") }
        if dateField == .date {
            _ = try bytes(.time) { (b: UnsafeBufferPointer<UInt8>) throws(RowError) -> Bool in
                do throws(NumberError) { try DateTimeParser.parseTime(b, into: &local) } catch {
                    throw RowError(column: name(.time), reason: "\(name(.time)) '\(String(decoding: b, as: UTF8.self))' \(error.reason)")
                }
                return true
            }
        }
        value = local
        var rowZone: ZoneRules?
        if local.offsetMinutes == nil {
            let named = try bytes(.timeZone) { (b: UnsafeBufferPointer<UInt8>) throws(RowError) -> ZoneRules in
                guard let z = zones.rules(named: b) else {
                    throw RowError(column: name(.timeZone), reason: "\(name(.timeZone)) '\(String(decoding: b, as: UTF8.self))' is not a time zone this reader knows (an IANA name or a Square/Rails name)")
                }
                return z
            }
            rowZone = named ?? zone
            if rowZone == nil {
                throw RowError(column: name(dateField), reason: "\(name(dateField)) has no time zone and the file gives none; give the store's zone with --timezone (time_zone in a mapping file)")
            }
        }
        guard let t = local.timestamp(in: rowZone) else {
            throw RowError(column: name(dateField), reason: "\(name(dateField)) cannot be placed in time")
        }
        return t
    }
}
