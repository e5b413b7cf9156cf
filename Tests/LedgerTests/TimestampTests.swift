import Testing
import Ledger

@Suite("Timestamps")
struct TimestampTests {
    @Test("RFC 3339 text round-trips with its zone", arguments: [
        "2026-11-23T10:15:00+08:00", "2026-11-23T02:15:00Z", "1969-12-31T23:59:59.500-05:30",
        "2000-02-29T00:00:00.000123Z", "2026-01-01T00:00:00.250+01:00",
    ])
    func roundTrip(text: String) throws {
        let t = try #require(Timestamp(iso8601: text))
        #expect(t.iso8601 == text)
    }

    @Test("the same instant in two zones is the same moment")
    func zones() throws {
        let a = try #require(Timestamp(iso8601: "2026-11-23T10:15:00+08:00"))
        let b = try #require(Timestamp(iso8601: "2026-11-23T02:15:00Z"))
        #expect(a.microseconds == b.microseconds)
        #expect(a.offsetMinutes == 480 && b.offsetMinutes == 0)
        #expect(a.microseconds == 1_795_400_100_000_000)
    }

    @Test("times without a zone or with impossible dates are refused", arguments: [
        "2026-11-23T10:15:00", "2026-02-30T00:00:00Z", "2026-13-01T00:00:00Z", "2026-11-23", "yesterday",
        "2026-11-23T24:00:00Z", "2026-11-23T10:15:00+08:00 ", "",
    ])
    func refused(text: String) {
        #expect(Timestamp(iso8601: text) == nil)
    }

    @Test("day numbers and civil dates agree over four centuries")
    func civil() {
        var day = Timestamp.daysFromCivil(year: 1800, month: 1, day: 1)
        var mismatches = 0
        for _ in 0..<(400 * 366) {
            let (y, m, d) = Timestamp.civil(fromDays: day)
            if Timestamp.daysFromCivil(year: y, month: m, day: d) != day { mismatches += 1 }
            day += 1
        }
        #expect(mismatches == 0)
        #expect(Timestamp.daysFromCivil(year: 1970, month: 1, day: 1) == 0)
        #expect(Timestamp.daysFromCivil(year: 2000, month: 3, day: 1) == 11_017)
    }
}
