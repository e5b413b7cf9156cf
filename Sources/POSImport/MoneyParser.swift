/// Which character separates the fraction in numbers: `1,149.00` (point) or `1.149,00` (comma).
public enum DecimalMark: String, Sendable, Hashable, Codable {
    /// `12.50`, grouping with `,` (or spaces, apostrophes).
    case point
    /// `12,50`, grouping with `.` (or spaces, apostrophes).
    case comma
}

/// Why an amount could not be read; the text completes "'VALUE' …".
struct NumberError: Error {
    let reason: String
}

/// Reads money as exact minor units of one currency, never through floating point.
///
/// Accepts what POS exports write: `$1,149.00`, `"$1,149.00 "` (Excel's trailing space),
/// `(33.62)` and `($33.62)` for negatives, `-$7.00`, `$-7.00`, `7.00-`, `12,50`, `1.234,56`,
/// `USD 12.00`, `12.00 €`, `¥1,280`, `R 699.00`. A fraction longer than the currency's minor
/// unit is refused unless the extra digits are zeros (`1.2345` USD is an error, `100.00` JPY is 100).
///
/// The decimal mark: when ``strictMark`` is set only that mark is a decimal point and the other
/// groups digits. Otherwise each value decides when it can (`1,149.00`: both marks, the last is the
/// decimal one; `12,50`: a comma followed by one or two digits can only be decimal) and the
/// ``preferredMark`` settles the rest (`1,149` or `1.149`: three digits after one mark).
public struct MoneyParser: Sendable, Hashable {
    /// The currency's minor-unit digits (2 for USD).
    public var minorDigits: Int
    /// The decimal mark to assume for values that could be read either way.
    public var preferredMark: DecimalMark
    /// Whether only ``preferredMark`` may be a decimal mark.
    public var strictMark: Bool

    /// A parser for amounts with `minorDigits` minor-unit digits.
    public init(minorDigits: Int, preferredMark: DecimalMark = .point, strictMark: Bool = false) {
        self.minorDigits = minorDigits
        self.preferredMark = preferredMark
        self.strictMark = strictMark
    }

    /// The amount in `text` in minor units, or nil when it is not an amount (see ``parse(_:)``).
    public func minorUnits(_ text: String) -> Int64? {
        var s = text
        return s.withUTF8 { try? parse($0) }
    }

    /// The amount in `bytes` in minor units. Empty text is an error: callers decide what an empty cell means.
    func parse(_ b: UnsafeBufferPointer<UInt8>) throws(NumberError) -> Int64 {
        let n = try NumberScanner.scan(b, preferredMark: preferredMark, strictMark: strictMark, allowCurrency: true)
        guard n.fractionDigits <= minorDigits || n.fractionIsZeroBeyond(minorDigits) else {
            throw NumberError(reason: "has \(n.fractionDigits) decimals, more than the currency's \(minorDigits)")
        }
        guard let v = n.scaled(to: minorDigits) else { throw NumberError(reason: "is too large") }
        return v
    }
}

/// The digits of a number as read from text, before scaling.
struct ScannedNumber {
    var negative: Bool
    var integer: UInt64          // all digits as one integer (integer and fraction part)
    var fractionDigits: Int
    var digitCount: Int

    /// Whether the fraction digits past `keep` are all zeros.
    func fractionIsZeroBeyond(_ keep: Int) -> Bool {
        var v = integer
        for _ in 0..<max(0, fractionDigits - keep) {
            if v % 10 != 0 { return false }
            v /= 10
        }
        return true
    }

    /// The value × 10^`digits`, when exact and in range.
    func scaled(to digits: Int) -> Int64? {
        var v = integer
        if fractionDigits > digits {
            for _ in 0..<(fractionDigits - digits) { v /= 10 }
        } else {
            for _ in 0..<(digits - fractionDigits) {
                let (m, o) = v.multipliedReportingOverflow(by: 10)
                if o { return nil }
                v = m
            }
        }
        guard v <= UInt64(Int64.max) else { return nil }
        return negative ? -Int64(v) : Int64(v)
    }
}

/// The byte-level number reader shared by money and quantities.
enum NumberScanner {
    /// Reads an optionally signed decimal number with grouping, surrounded by spaces, parentheses
    /// and (when `allowCurrency`) a currency symbol or code.
    static func scan(_ b: UnsafeBufferPointer<UInt8>, preferredMark: DecimalMark, strictMark: Bool,
                     allowCurrency: Bool) throws(NumberError) -> ScannedNumber {
        var lo = 0, hi = b.count
        func isSpace(_ i: Int) -> Int {   // width of a space at i (ASCII, NBSP, narrow NBSP, thin space)
            let c = b[i]
            if c == 32 || c == 9 { return 1 }
            if c == 0xC2, i + 1 < hi, b[i + 1] == 0xA0 { return 2 }
            if c == 0xE2, i + 2 < hi, b[i + 1] == 0x80, b[i + 2] == 0xAF || b[i + 2] == 0x89 { return 3 }
            return 0
        }
        func trim() {
            while lo < hi { let w = isSpace(lo); if w == 0 { break }; lo += w }
            while hi > lo {
                if b[hi - 1] == 32 || b[hi - 1] == 9 { hi -= 1; continue }
                if hi - lo >= 2, b[hi - 2] == 0xC2, b[hi - 1] == 0xA0 { hi -= 2; continue }
                if hi - lo >= 3, b[hi - 3] == 0xE2, b[hi - 2] == 0x80, b[hi - 1] == 0xAF || b[hi - 1] == 0x89 { hi -= 3; continue }
                break
            }
        }
        trim()
        guard lo < hi else { throw NumberError(reason: "is empty") }
        var negative = false
        var signSeen = false
        // Leading sign, parentheses and currency, in any order: ($33.62), -$7.00, $-7.00, $(7.00), USD 12.00.
        var progressed = true
        while progressed && lo < hi {
            progressed = false
            let c = b[lo]
            if c == 40 && !signSeen {
                guard b[hi - 1] == 41 else { throw NumberError(reason: "has unbalanced parentheses") }
                negative = true; signSeen = true; lo += 1; hi -= 1; trim(); progressed = true
            } else if (c == 45 || c == 43) && !signSeen {
                negative = c == 45; signSeen = true; lo += 1; trim(); progressed = true
            } else if c == 0xE2, lo + 2 < hi, b[lo + 1] == 0x88, b[lo + 2] == 0x92, !signSeen {  // U+2212 minus
                negative = true; signSeen = true; lo += 3; trim(); progressed = true
            } else if allowCurrency, !(c >= 48 && c <= 57), c != 46, c != 44, c != 41 {
                var j = lo
                while j < hi, !(b[j] >= 48 && b[j] <= 57), b[j] != 45, b[j] != 43, b[j] != 40, b[j] != 41,
                      b[j] != 32, b[j] != 46, b[j] != 44 { j += 1 }
                if j > lo {
                    guard isCurrencyToken(b, lo, j) else { throw NumberError(reason: "has '\(String(decoding: UnsafeBufferPointer(rebasing: b[lo..<j]), as: UTF8.self))' where a currency symbol or code could stand") }
                    lo = j; trim(); progressed = true
                }
            }
        }
        // Trailing currency and sign: 12,00 €, 7.00-, 5 USD.
        progressed = true
        while progressed && hi > lo {
            progressed = false
            let c = b[hi - 1]
            if c == 41 || c == 40 {
                throw NumberError(reason: "has unbalanced parentheses")
            } else if c == 45 && !signSeen {
                negative = true; signSeen = true; hi -= 1; trim(); progressed = true
            } else if allowCurrency, !(c >= 48 && c <= 57), c != 46, c != 44 {
                var j = hi
                while j > lo, !(b[j - 1] >= 48 && b[j - 1] <= 57), b[j - 1] != 32, b[j - 1] != 46, b[j - 1] != 44,
                      b[j - 1] != 45, b[j - 1] != 41, b[j - 1] != 40 { j -= 1 }
                if j < hi {
                    guard isCurrencyToken(b, j, hi) else { throw NumberError(reason: "has '\(String(decoding: UnsafeBufferPointer(rebasing: b[j..<hi]), as: UTF8.self))' where a currency symbol or code could stand") }
                    hi = j; trim(); progressed = true
                }
            }
        }
        guard lo < hi else { throw NumberError(reason: "has no digits") }
        // Find the marks: the last '.' or ',' and whether each kind occurs.
        var lastPoint = -1, lastComma = -1, points = 0, commas = 0
        for i in lo..<hi {
            let c = b[i]
            if c == 46 { lastPoint = i; points += 1 } else if c == 44 { lastComma = i; commas += 1 }
        }
        var decimalAt = -1
        if strictMark {
            if preferredMark == .point {
                if points > 1 { throw NumberError(reason: "has more than one decimal point") }
                decimalAt = lastPoint
            } else {
                if commas > 1 { throw NumberError(reason: "has more than one decimal comma") }
                decimalAt = lastComma
            }
        } else if points > 0 && commas > 0 {
            decimalAt = max(lastPoint, lastComma)
            if (b[decimalAt] == 46 ? points : commas) > 1 { throw NumberError(reason: "has two decimal marks") }
        } else if points + commas == 1 {
            let at = points == 1 ? lastPoint : lastComma
            let after = hi - at - 1
            if after == 3 && at > lo && !(at - lo == 1 && b[lo] == 48) {   // "0,250" cannot be grouping
                // 1,149 or 1.149: grouping or decimal, settled by the preferred mark.
                let mark: DecimalMark = b[at] == 46 ? .point : .comma
                decimalAt = mark == preferredMark ? at : -1
            } else {
                decimalAt = at
            }
        } else if points > 1 && commas == 0 {
            decimalAt = -1   // 1.234.567: grouping points
        } else if commas > 1 && points == 0 {
            decimalAt = -1   // 1,234,567
        }
        var value: UInt64 = 0
        var digits = 0, fraction = 0
        var sawDigitSinceGroup = true
        for i in lo..<hi {
            let c = b[i]
            if c >= 48 && c <= 57 {
                let (m, o1) = value.multipliedReportingOverflow(by: 10)
                let (a, o2) = m.addingReportingOverflow(UInt64(c - 48))
                if o1 || o2 { throw NumberError(reason: "is too large") }
                value = a
                digits += 1
                if decimalAt >= 0 && i > decimalAt { fraction += 1 }
                sawDigitSinceGroup = true
            } else if i == decimalAt {
                continue
            } else if c == 44 || c == 46 || c == 39 || c == 32 {
                // A grouping separator (comma, point, apostrophe, space) between digits, followed by exactly three.
                if !sawDigitSinceGroup || i == lo { throw NumberError(reason: "is not a number") }
                if decimalAt >= 0 && i > decimalAt { throw NumberError(reason: "is not a number") }
                var k = i + 1, groupDigits = 0
                while k < hi, b[k] >= 48 && b[k] <= 57 { groupDigits += 1; k += 1 }
                if groupDigits != 3 { throw NumberError(reason: "is not a number (digits are grouped in threes)") }
                sawDigitSinceGroup = false
            } else if c == 0xC2, i + 1 < hi, b[i + 1] == 0xA0 {
                continue
            } else if c == 0xA0 && i > lo && b[i - 1] == 0xC2 {
                continue
            } else {
                throw NumberError(reason: "is not a number")
            }
        }
        guard digits > 0 else { throw NumberError(reason: "has no digits") }
        return ScannedNumber(negative: negative && value != 0, integer: value, fractionDigits: fraction, digitCount: digits)
    }
}

/// Whether b[lo..<hi] can be a currency marker: a known symbol (`$`, `€`, `£`, `¥`, `￥`, `₩`, `₹`,
/// `元`, `HK$`, `US$`, `R$`, `RM`, `kr`, `zł`) or a three-letter code in capitals (`USD`, `CNY`).
func isCurrencyToken(_ b: UnsafeBufferPointer<UInt8>, _ lo: Int, _ hi: Int) -> Bool {
    let token = Array(b[lo..<hi])
    if token.count == 3, token.allSatisfy({ $0 >= 65 && $0 <= 90 }) { return true }
    let symbols: [String] = ["$", "€", "£", "¥", "￥", "₩", "₹", "元", "HK$", "US$", "R$", "RM", "kr", "zł", "R"]
    return symbols.contains { Array($0.utf8) == token }
}

/// Reads quantities as ``ExactDecimal`` values (`1.0`, `-1`, `0,5`, `6`), with the same marks as money.
struct QuantityParser: Sendable {
    var preferredMark: DecimalMark
    var strictMark: Bool

    func parse(_ b: UnsafeBufferPointer<UInt8>) throws(NumberError) -> ExactDecimal {
        let n = try NumberScanner.scan(b, preferredMark: preferredMark, strictMark: strictMark, allowCurrency: false)
        guard n.fractionDigits <= 18, n.integer <= UInt64(Int64.max) else { throw NumberError(reason: "is too large") }
        let v = Int64(n.integer)
        return ExactDecimal(value: n.negative ? -v : v, scale: n.fractionDigits)
    }
}
