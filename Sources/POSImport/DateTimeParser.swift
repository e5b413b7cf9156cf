import Ledger

/// A wall-clock date and time as written in an export, with the UTC offset when the text has one.
struct LocalDateTime: Hashable {
    var year: Int64, month: Int64, day: Int64
    var hour: Int64 = 0, minute: Int64 = 0, second: Int64 = 0, microsecond: Int64 = 0
    /// The offset written in the text (`+0200`, `Z`), in minutes east of UTC; nil for a naive time.
    var offsetMinutes: Int64?

    /// Seconds since the epoch of this wall time read as if it were UTC.
    var wallSeconds: Int64 {
        Timestamp.daysFromCivil(year: year, month: month, day: day) * 86_400 + hour * 3600 + minute * 60 + second
    }
}

/// What a numeric date's first two parts say about day/month order (for detection over a file).
enum DateOrderHint: Equatable {
    /// Year first, or only one reading: nothing to learn.
    case none
    /// Both parts are 12 or less: either order reads.
    case ambiguous
    /// The first part is above 12: day first.
    case dayFirst
    /// The second part is above 12: month first.
    case monthFirst
}

/// Reads the dates and times exports write, byte by byte without Foundation:
/// `2021-05-13 11:01:13 +0200`, `2026-05-30`, `12/1/2010 08:26`, `01-12-2010 08:26`, `12/27/2018`,
/// `7/28/26 1:33 PM`, `31/12/2025 14:05`, `2025年12月31日 14:05`, `2026-05-30T13:03:14Z`.
/// Two-digit years are 2000–2069 for 00–69 and 1970–1999 for 70–99.
enum DateTimeParser {
    /// Parses a date with an optional time and offset. `order` settles non-year-first dates; when it
    /// is nil such dates fail with a reason asking for the date-format option.
    static func parse(_ b: UnsafeBufferPointer<UInt8>, order: DateOrder?) throws(NumberError) -> LocalDateTime {
        var i = 0
        skipSpaces(b, &i)
        var result = try date(b, &i, order: order)
        try time(b, &i, into: &result)
        return result
    }

    /// Parses a time of day alone (`13:03:14`, `1:33 PM`, `08:26`) into `value`; empty text is midnight.
    static func parseTime(_ b: UnsafeBufferPointer<UInt8>, into value: inout LocalDateTime) throws(NumberError) {
        var i = 0
        try time(b, &i, into: &value)
    }

    /// What the date at the start of `b` says about day/month order.
    static func orderHint(_ b: UnsafeBufferPointer<UInt8>) -> DateOrderHint {
        var i = 0
        skipSpaces(b, &i)
        guard let (first, width) = number(b, &i), width <= 2 else { return .none }
        guard skipSeparator(b, &i), let (second, _) = number(b, &i) else { return .none }
        if first > 12 && second <= 12 { return .dayFirst }
        if second > 12 && first <= 12 { return .monthFirst }
        if first <= 12 && second <= 12 { return .ambiguous }
        return .none
    }

    // MARK: pieces

    static func daysIn(month m: Int64, year y: Int64) -> Int64 {
        switch m {
        case 2: return (y % 4 == 0 && (y % 100 != 0 || y % 400 == 0)) ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    private static func skipSpaces(_ b: UnsafeBufferPointer<UInt8>, _ i: inout Int) {
        while i < b.count, b[i] == 32 || b[i] == 9 { i += 1 }
    }

    private static func number(_ b: UnsafeBufferPointer<UInt8>, _ i: inout Int) -> (Int64, Int)? {
        var v: Int64 = 0, n = 0
        while i < b.count, b[i] >= 48, b[i] <= 57, n < 9 {
            v = v * 10 + Int64(b[i] - 48); i += 1; n += 1
        }
        return n == 0 ? nil : (v, n)
    }

    /// Steps over a date separator: `/`, `-`, `.`, or a non-ASCII run such as 年 or 月.
    private static func skipSeparator(_ b: UnsafeBufferPointer<UInt8>, _ i: inout Int) -> Bool {
        guard i < b.count else { return false }
        let c = b[i]
        if c == 47 || c == 45 || c == 46 { i += 1; return true }
        if c >= 0x80 {
            while i < b.count, b[i] >= 0x80 { i += 1 }
            return true
        }
        return false
    }

    private static func date(_ b: UnsafeBufferPointer<UInt8>, _ i: inout Int, order: DateOrder?) throws(NumberError) -> LocalDateTime {
        guard let (p1, w1) = number(b, &i) else { throw NumberError(reason: "is not a date") }
        guard skipSeparator(b, &i), let (p2, _) = number(b, &i), skipSeparator(b, &i) || i == b.count,
              let (p3, w3) = number(b, &i) else {
            throw NumberError(reason: "is not a date")
        }
        // A trailing 日 after the day.
        if i < b.count, b[i] >= 0x80 { while i < b.count, b[i] >= 0x80 { i += 1 } }
        var y: Int64, m: Int64, d: Int64, yearWidth: Int
        if w1 == 4 {
            (y, m, d, yearWidth) = (p1, p2, p3, 4)
        } else {
            guard let order else {
                throw NumberError(reason: "can be read day-first or month-first; give the order with --date-format dmy or mdy (date_format in a mapping file)")
            }
            switch order {
            case .mdy: (m, d, y, yearWidth) = (p1, p2, p3, w3)
            case .dmy: (d, m, y, yearWidth) = (p1, p2, p3, w3)
            case .ymd: (y, m, d, yearWidth) = (p1, p2, p3, w1)
            }
        }
        if yearWidth <= 2 { y += y < 70 ? 2000 : 1900 } else if yearWidth != 4 { throw NumberError(reason: "has a year that is not 2 or 4 digits") }
        guard (1...12).contains(m) else {
            throw NumberError(reason: "has no month \(m)" + (order == nil ? "" : " (read as \(order!.rawValue); check --date-format)"))
        }
        guard d >= 1, d <= daysIn(month: m, year: y) else { throw NumberError(reason: "has no day \(d) in month \(m)") }
        return LocalDateTime(year: y, month: m, day: d)
    }

    private static func time(_ b: UnsafeBufferPointer<UInt8>, _ i: inout Int, into v: inout LocalDateTime) throws(NumberError) {
        if i < b.count, b[i] == 84 || b[i] == 116 { i += 1 } // T
        skipSpaces(b, &i)
        guard i < b.count else { return }
        // 上午 / 下午 may come before the time (2025/12/31 下午 2:05).
        var meridiemFirst: Bool?
        if i + 5 < b.count, b[i] == 0xE4, b[i + 1] == 0xB8, b[i + 3] == 0xE5, b[i + 4] == 0x8D, b[i + 5] == 0x88,
           b[i + 2] == 0x8A || b[i + 2] == 0x8B {
            meridiemFirst = b[i + 2] == 0x8B
            i += 6
            skipSpaces(b, &i)
        }
        guard let (h, _) = number(b, &i) else { throw NumberError(reason: "has no time of day") }
        guard i < b.count, b[i] == 58 else { throw NumberError(reason: "is not a time (HH:MM)") }
        i += 1
        guard let (mi, _) = number(b, &i) else { throw NumberError(reason: "is not a time (HH:MM)") }
        var s: Int64 = 0, micro: Int64 = 0
        if i < b.count, b[i] == 58 {
            i += 1
            guard let (sec, _) = number(b, &i) else { throw NumberError(reason: "is not a time (HH:MM:SS)") }
            s = sec
            if i < b.count, b[i] == 46 || b[i] == 44 {
                i += 1
                var digits = 0
                while i < b.count, b[i] >= 48, b[i] <= 57 {
                    if digits < 6 { micro = micro * 10 + Int64(b[i] - 48) }
                    digits += 1; i += 1
                }
                for _ in min(digits, 6)..<6 { micro *= 10 }
            }
        }
        skipSpaces(b, &i)
        var hour = h
        if let pm = meridiemFirst {
            guard (1...12).contains(h) else { throw NumberError(reason: "has hour \(h) with 上午/下午") }
            hour = pm ? (h == 12 ? 12 : h + 12) : (h == 12 ? 0 : h)
        }
        // AM / PM (also a.m., 上午 / 下午).
        if i < b.count {
            let c = b[i] | 0x20
            if (c == 97 || c == 112), i + 1 < b.count, (b[i + 1] | 0x20) == 109 || b[i + 1] == 46 {
                guard (1...12).contains(h) else { throw NumberError(reason: "has hour \(h) with AM/PM") }
                let pm = c == 112
                hour = pm ? (h == 12 ? 12 : h + 12) : (h == 12 ? 0 : h)
                i += 2
                while i < b.count, b[i] == 46 || (b[i] | 0x20) == 109 { i += 1 }
            } else if i + 5 < b.count, b[i] == 0xE4, b[i + 1] == 0xB8, b[i + 3] == 0xE5, b[i + 4] == 0x8D, b[i + 5] == 0x88,
                      b[i + 2] == 0x8A || b[i + 2] == 0x8B {
                // 上午 (E4 B8 8A E5 8D 88) / 下午 (E4 B8 8B E5 8D 88)
                guard (1...12).contains(h) else { throw NumberError(reason: "has hour \(h) with 上午/下午") }
                let pm = b[i + 2] == 0x8B
                hour = pm ? (h == 12 ? 12 : h + 12) : (h == 12 ? 0 : h)
                i += 6
            }
        }
        skipSpaces(b, &i)
        guard hour <= 23, mi <= 59, s <= 60 else { throw NumberError(reason: "has an impossible time of day") }
        v.hour = hour; v.minute = mi; v.second = min(s, 59); v.microsecond = micro
        guard i < b.count else { return }
        // Offset: Z, +0200, -04:00, +08, UTC, GMT+8.
        if b[i] == 90 || b[i] == 122 { i += 1; v.offsetMinutes = 0 }
        else {
            if i + 2 < b.count, (b[i] == 85 && b[i + 1] == 84 && b[i + 2] == 67) || (b[i] == 71 && b[i + 1] == 77 && b[i + 2] == 84) {
                i += 3
                v.offsetMinutes = 0
                skipSpaces(b, &i)
            }
            if i < b.count, b[i] == 43 || b[i] == 45 {
                let sign: Int64 = b[i] == 45 ? -1 : 1
                i += 1
                guard let (o, width) = number(b, &i) else { throw NumberError(reason: "has a malformed UTC offset") }
                var oh = o, om: Int64 = 0
                if width == 4 { oh = o / 100; om = o % 100 }
                else if width <= 2, i < b.count, b[i] == 58 {
                    i += 1
                    guard let (m2, _) = number(b, &i) else { throw NumberError(reason: "has a malformed UTC offset") }
                    om = m2
                } else if width > 2 { throw NumberError(reason: "has a malformed UTC offset") }
                guard oh <= 18, om <= 59 else { throw NumberError(reason: "has a malformed UTC offset") }
                v.offsetMinutes = sign * (oh * 60 + om)
            }
        }
        skipSpaces(b, &i)
        guard i == b.count else { throw NumberError(reason: "has unexpected text after the time") }
    }
}
