import Testing
import Ledger
@testable import POSImport

@Suite("Dates and time zones")
struct DateTimeParserTests {
    /// `text` read with `order`, placed in `zone` when it has no offset of its own.
    func timestamp(_ text: String, _ order: DateOrder? = nil, zone: String? = nil) -> Timestamp? {
        var s = text
        let local = s.withUTF8 { b in try? DateTimeParser.parse(b, order: order) }
        let rules = zone.flatMap { ZoneCatalog().rules(named: $0) }
        return local?.timestamp(in: rules)
    }

    @Test("every format the samples and docs use", arguments: [
        ("2021-05-13 11:01:13 +0200", nil, nil, "2021-05-13T11:01:13+02:00"),       // Shopify
        ("2026-04-01 12:39:28 -0400", nil, nil, "2026-04-01T12:39:28-04:00"),
        ("12/1/2010 08:26", DateOrder.mdy, "Europe/London", "2010-12-01T08:26:00Z"),  // UCI II
        ("01-12-2010 08:26", DateOrder.dmy, "Europe/London", "2010-12-01T08:26:00Z"), // UCI I re-saved
        ("12/27/2018", DateOrder.mdy, "America/Chicago", "2018-12-27T00:00:00-06:00"), // Square transactions, empty time
        ("7/28/26 1:33 PM", DateOrder.mdy, "Asia/Bangkok", "2026-07-28T13:33:00+07:00"), // Loyverse, US locale
        ("31/12/2025 14:05", DateOrder.dmy, "Asia/Shanghai", "2025-12-31T14:05:00+08:00"), // Loyverse, other locales
        ("12/31/2025 12:05 AM", DateOrder.mdy, "UTC", "2025-12-31T00:05:00Z"),
        ("2025年12月31日 14:05:09", nil, "Asia/Shanghai", "2025-12-31T14:05:09+08:00"),
        ("2025/12/31 下午 2:05", nil, "Asia/Shanghai", "2025-12-31T14:05:00+08:00"),
        ("2026-05-30T13:03:14Z", nil, nil, "2026-05-30T13:03:14Z"),
        ("2026-05-30 13:03:14.250 +05:30", nil, nil, "2026-05-30T13:03:14.250+05:30"),
    ] as [(String, DateOrder?, String?, String)])
    func formats(text: String, order: DateOrder?, zone: String?, expected: String) {
        #expect(timestamp(text, order, zone: zone) == Timestamp(iso8601: expected))
    }

    @Test("impossible or ambiguous dates are refused", arguments: [
        ("13/13/2020", DateOrder.dmy), ("2026-02-30", nil), ("yesterday", nil), ("12/1/2010 25:00", .mdy),
        ("12/1/2010", nil), ("2026-05-30 13:03:14 +123", nil), ("2026-05-30 13:03 tomorrow", nil), ("13:00 PM", .mdy),
    ] as [(String, DateOrder?)])
    func refused(text: String, order: DateOrder?) {
        #expect(timestamp(text, order, zone: "UTC") == nil)
    }

    @Test("Square's time zone names, DST-correct at each instant", arguments: [
        ("2026-05-30", "13:03:14", "Eastern Time (US & Canada)", "2026-05-30T13:03:14-04:00"),
        ("2026-01-15", "13:03:14", "Eastern Time (US & Canada)", "2026-01-15T13:03:14-05:00"),
        ("2026-07-01", "09:00:00", "Pacific Time (US & Canada)", "2026-07-01T09:00:00-07:00"),
        ("2026-07-01", "09:00:00", "Arizona", "2026-07-01T09:00:00-07:00"),
        ("2026-07-01", "09:00:00", "London", "2026-07-01T09:00:00+01:00"),
        ("2026-07-01", "09:00:00", "Beijing", "2026-07-01T09:00:00+08:00"),
        ("2026-07-01", "09:00:00", "America/Sao_Paulo", "2026-07-01T09:00:00-03:00"),
        // Clocks go forward at 02:00 on 8 March 2026: 02:30 never happens; read with the old offset.
        ("2026-03-08", "02:30:00", "Eastern Time (US & Canada)", "2026-03-08T03:30:00-04:00"),
        // Clocks go back at 02:00 on 1 November 2026: 01:30 happens twice; the first is taken.
        ("2026-11-01", "01:30:00", "Eastern Time (US & Canada)", "2026-11-01T01:30:00-04:00"),
        ("2026-11-01", "02:30:00", "Eastern Time (US & Canada)", "2026-11-01T02:30:00-05:00"),
    ])
    func zones(date: String, time: String, zone: String, expected: String) throws {
        var d = date, t = time
        var local = try #require(d.withUTF8 { b in try? DateTimeParser.parse(b, order: nil) })
        let timeRead: Bool = t.withUTF8 { b in (try? DateTimeParser.parseTime(b, into: &local)) != nil }
        #expect(timeRead)
        let rules = try #require(ZoneCatalog().rules(named: zone))
        #expect(local.timestamp(in: rules) == Timestamp(iso8601: expected))
    }

    @Test("unknown zone names are not guessed")
    func unknownZone() {
        #expect(ZoneCatalog().rules(named: "Eastern Time") == nil)
        #expect(ZoneCatalog().rules(named: "Mars/Olympus_Mons") == nil)
    }

    @Test("date-format patterns give the order", arguments: [
        ("DD/MM/YYYY HH:mm", DateOrder.dmy), ("M/D/YY h:mm a", .mdy), ("yyyy-MM-dd HH:mm:ss", .ymd), ("dmy", .dmy),
    ])
    func patterns(pattern: String, order: DateOrder) {
        #expect(DateOrder(pattern: pattern) == order)
    }

    @Test("order hints: a part above 12 settles the order")
    func hints() {
        func hint(_ s: String) -> DateOrderHint { var s = s; return s.withUTF8 { DateTimeParser.orderHint($0) } }
        #expect(hint("31/12/2025 14:05") == .dayFirst)
        #expect(hint("12/27/2018") == .monthFirst)
        #expect(hint("12/1/2010 08:26") == .ambiguous)
        #expect(hint("2026-05-30") == .none)
    }
}
