#if canImport(Glibc)
import Glibc
#endif

/// A moment with the UTC offset it was recorded in: microseconds since 1970-01-01T00:00:00Z
/// plus the zone's offset in minutes, so "10:15 in Shanghai" stays 10:15 +08:00 when read back.
public struct Timestamp: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// Microseconds since the Unix epoch, in UTC.
    public var microseconds: Int64
    /// The offset from UTC of the zone the time was given in, in minutes (e.g. 480 for +08:00).
    public var offsetMinutes: Int16

    /// A moment, `microseconds` after the epoch (UTC), shown in the zone `offsetMinutes` east of UTC.
    public init(microseconds: Int64, offsetMinutes: Int16 = 0) {
        self.microseconds = microseconds
        self.offsetMinutes = offsetMinutes
    }

    /// The current time from the system clock, in UTC.
    public static func now() -> Timestamp {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return Timestamp(microseconds: Int64(ts.tv_sec) * 1_000_000 + Int64(ts.tv_nsec) / 1_000)
    }

    public static func < (a: Timestamp, b: Timestamp) -> Bool { a.microseconds < b.microseconds }
    public static func == (a: Timestamp, b: Timestamp) -> Bool { a.microseconds == b.microseconds && a.offsetMinutes == b.offsetMinutes }

    /// RFC 3339 text in the timestamp's own offset, e.g. `2026-11-23T10:15:00+08:00`
    /// (fractions of a second only when there are any).
    public var description: String { iso8601 }

    /// RFC 3339 text in the timestamp's own offset.
    public var iso8601: String {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(32)
        writeISO8601(into: &bytes)
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Appends the RFC 3339 text to `out` without going through String formatting.
    public func writeISO8601(into out: inout [UInt8]) {
        let local = microseconds + Int64(offsetMinutes) * 60_000_000
        var days = local / 86_400_000_000
        var inDay = local % 86_400_000_000
        if inDay < 0 { inDay += 86_400_000_000; days -= 1 }
        let (y, m, d) = Timestamp.civil(fromDays: days)
        func digits(_ v: Int64, _ n: Int) {
            var div: Int64 = 1
            for _ in 1..<n { div *= 10 }
            var v = v
            while div > 0 { out.append(UInt8(48 + (v / div) % 10)); v %= div; div /= 10 }
        }
        if y < 0 { out.append(UInt8(ascii: "-")) }
        digits(abs(y), 4); out.append(UInt8(ascii: "-")); digits(m, 2); out.append(UInt8(ascii: "-")); digits(d, 2)
        out.append(UInt8(ascii: "T"))
        let secs = inDay / 1_000_000, frac = inDay % 1_000_000
        digits(secs / 3600, 2); out.append(UInt8(ascii: ":")); digits(secs / 60 % 60, 2); out.append(UInt8(ascii: ":")); digits(secs % 60, 2)
        if frac != 0 {
            out.append(UInt8(ascii: "."))
            if frac % 1000 == 0 { digits(frac / 1000, 3) } else { digits(frac, 6) }
        }
        if offsetMinutes == 0 {
            out.append(UInt8(ascii: "Z"))
        } else {
            out.append(UInt8(ascii: offsetMinutes < 0 ? "-" : "+"))
            let o = Int64(abs(Int(offsetMinutes)))
            digits(o / 60, 2); out.append(UInt8(ascii: ":")); digits(o % 60, 2)
        }
    }

    /// Parses RFC 3339 / ISO 8601 text with a zone: `2026-11-23T10:15:00+08:00`, `…Z`,
    /// with an optional fraction of up to 9 digits (kept to the microsecond), `T` or a space.
    /// Returns nil for anything else, including a time without a zone.
    public init?(iso8601 text: some StringProtocol) {
        var result: Timestamp?
        var s = String(text)
        s.withUTF8 { result = Timestamp.parse($0) }
        guard let result else { return nil }
        self = result
    }

    /// Parses RFC 3339 bytes; see `init?(iso8601:)`.
    public static func parse(_ b: UnsafeBufferPointer<UInt8>) -> Timestamp? {
        var i = 0
        func num(_ n: Int) -> Int64? {
            guard i + n <= b.count else { return nil }
            var v: Int64 = 0
            for _ in 0..<n {
                let c = b[i]
                guard c >= 48 && c <= 57 else { return nil }
                v = v * 10 + Int64(c - 48); i += 1
            }
            return v
        }
        func expect(_ c: UInt8) -> Bool {
            guard i < b.count, b[i] == c else { return false }
            i += 1; return true
        }
        guard let y = num(4), expect(UInt8(ascii: "-")), let mo = num(2), expect(UInt8(ascii: "-")), let d = num(2) else { return nil }
        guard i < b.count, b[i] == UInt8(ascii: "T") || b[i] == UInt8(ascii: "t") || b[i] == UInt8(ascii: " ") else { return nil }
        i += 1
        guard let h = num(2), expect(UInt8(ascii: ":")), let mi = num(2), expect(UInt8(ascii: ":")), let se = num(2) else { return nil }
        guard (1...12).contains(mo), d >= 1, d <= daysIn(month: mo, year: y), h <= 23, mi <= 59, se <= 60 else { return nil }
        var micros: Int64 = 0
        if i < b.count, b[i] == UInt8(ascii: ".") || b[i] == UInt8(ascii: ",") {
            i += 1
            var digits = 0
            while i < b.count, b[i] >= 48, b[i] <= 57 {
                if digits < 6 { micros = micros * 10 + Int64(b[i] - 48) }
                digits += 1; i += 1
            }
            guard digits > 0 else { return nil }
            for _ in min(digits, 6)..<6 { micros *= 10 }
        }
        guard i < b.count else { return nil }
        var offset: Int64 = 0
        if b[i] == UInt8(ascii: "Z") || b[i] == UInt8(ascii: "z") {
            i += 1
        } else if b[i] == UInt8(ascii: "+") || b[i] == UInt8(ascii: "-") {
            let sign: Int64 = b[i] == UInt8(ascii: "-") ? -1 : 1
            i += 1
            guard let oh = num(2) else { return nil }
            _ = expect(UInt8(ascii: ":"))
            guard let om = num(2), oh <= 23, om <= 59 else { return nil }
            offset = sign * (oh * 60 + om)
        } else {
            return nil
        }
        guard i == b.count else { return nil }
        let days = daysFromCivil(year: y, month: mo, day: d)
        let localMicros = ((days * 86_400) + h * 3600 + mi * 60 + min(se, 59)) * 1_000_000 + micros
        return Timestamp(microseconds: localMicros - offset * 60_000_000, offsetMinutes: Int16(offset))
    }

    static func daysIn(month m: Int64, year y: Int64) -> Int64 {
        switch m {
        case 2: return (y % 4 == 0 && (y % 100 != 0 || y % 400 == 0)) ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    /// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's `days_from_civil`).
    public static func daysFromCivil(year: Int64, month: Int64, day: Int64) -> Int64 {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let doy = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    /// The proleptic Gregorian date of a day number since 1970-01-01 (H. Hinnant's `civil_from_days`).
    public static func civil(fromDays days: Int64) -> (year: Int64, month: Int64, day: Int64) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        return (yoe + era * 400 + (m <= 2 ? 1 : 0), m, d)
    }
}
