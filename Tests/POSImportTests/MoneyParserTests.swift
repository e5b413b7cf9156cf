import Testing
@testable import POSImport

@Suite("Money")
struct MoneyParserTests {
    struct Case: Sendable, CustomTestStringConvertible {
        var text: String
        var currency = "USD"
        var mark: DecimalMark = .point
        var strict = false
        var expected: Int64?
        var testDescription: String { "'\(text)' \(currency)\(strict ? " strict \(mark)" : "")" }
    }

    static let cases: [Case] = [
        Case(text: "$1,149.00", expected: 114_900),
        Case(text: "$1,149.00 ", expected: 114_900),                  // Excel re-save: "$1,149.00 "
        Case(text: "(33.62)", expected: -3362),
        Case(text: "($33.62)", expected: -3362),
        Case(text: "$(33.62)", expected: -3362),
        Case(text: "-$7.00", expected: -700),
        Case(text: "$-7.00", expected: -700),
        Case(text: "7.00-", expected: -700),
        Case(text: "−7.00", expected: -700),                           // U+2212 minus sign
        Case(text: "12,50", currency: "EUR", expected: 1250),          // decimal comma, unambiguous
        Case(text: "1.234,56", currency: "EUR", expected: 123_456),
        Case(text: "12,00 €", currency: "EUR", expected: 1200),
        Case(text: "1 234,56", currency: "EUR", mark: .comma, strict: true, expected: 123_456),
        Case(text: "699.00", currency: "ZAR", expected: 69_900),
        Case(text: "R 699.00", currency: "ZAR", expected: 69_900),
        Case(text: "2.55", currency: "GBP", expected: 255),
        Case(text: "18", currency: "GBP", expected: 1800),
        Case(text: "2.1", currency: "GBP", expected: 210),
        Case(text: "USD 12.00", expected: 1200),
        Case(text: "¥1,280", currency: "JPY", mark: .point, expected: 1280),
        Case(text: "100.00", currency: "JPY", expected: 100),          // zeros past the minor unit lose nothing
        Case(text: "1.5", currency: "JPY", expected: nil),             // too many decimals for yen: refused, not rounded
        Case(text: "2.555", currency: "USD", expected: nil),
        Case(text: "1.2345", currency: "KWD", expected: nil),
        Case(text: "1.234", currency: "KWD", expected: 1234),          // three minor digits
        Case(text: "1,149", expected: 114_900),                        // point preferred: comma groups
        Case(text: "1.149", currency: "EUR", mark: .comma, expected: 114_900),  // comma preferred: point groups
        Case(text: "1,149.00", mark: .comma, strict: true, expected: nil),     // strict comma: the point is not a decimal
        Case(text: "0.00", expected: 0),
        Case(text: "-0.00", expected: 0),
        Case(text: "", expected: nil),
        Case(text: "abc", expected: nil),
        Case(text: "(7.00", expected: nil),
        Case(text: "1.2.3,4,5", expected: nil),
        Case(text: "99999999999999999999.00", expected: nil),
        Case(text: "1.85abc", expected: nil),                          // letters that are no currency
        Case(text: "1.8.5", expected: nil),                            // grouping is in threes
        Case(text: "12,34,567", expected: nil),
        Case(text: "USD 1.85", expected: 185),                         // a currency code before the amount
        Case(text: "1 149,00 €", mark: .comma, expected: 114_900),
        Case(text: "¥1,149", currency: "JPY", expected: 1_149),
    ]

    @Test("amounts in minor units, exactly", arguments: cases)
    func parse(_ c: Case) throws {
        let digits = try #require(Currency.minorUnitDigits(c.currency))
        let parser = MoneyParser(minorDigits: digits, preferredMark: c.mark, strictMark: c.strict)
        #expect(parser.minorUnits(c.text) == c.expected)
    }

    @Test("ISO 4217 minor units", arguments: [("USD", 2), ("JPY", 0), ("KWD", 3), ("BHD", 3), ("CLF", 4), ("CNY", 2), ("ZAR", 2)])
    func minorUnits(code: String, digits: Int) {
        #expect(Currency.minorUnitDigits(code) == digits)
    }

    @Test("unknown currency codes are refused")
    func unknown() {
        #expect(Currency.minorUnitDigits("XYZ") == nil)
        #expect(Currency.minorUnitDigits("usd") == nil)
    }

    @Test("quantities are exact decimals", arguments: [
        ("1.0", ExactDecimal(value: 10, scale: 1)), ("-1.0", ExactDecimal(value: -1)), ("6", ExactDecimal(value: 6)),
        ("0,250", ExactDecimal(value: 250, scale: 3)), ("1.000", ExactDecimal(value: 1)),
    ])
    func quantities(text: String, expected: ExactDecimal) throws {
        var s = text
        let q = s.withUTF8 { b in try? QuantityParser(preferredMark: .point, strictMark: false).parse(b) }
        #expect(q == expected)
    }

    @Test("decimal arithmetic stays in integers")
    func arithmetic() {
        #expect(ExactDecimal(value: 15, scale: 1).times(199) == 299)        // 1.5 × 1.99 = 2.985 → 2.99
        #expect(ExactDecimal(value: -10, scale: 1).times(700) == -700)
        #expect(ExactDecimal(value: 20, scale: 1).dividing(1600) == 800)
        #expect(ExactDecimal(value: 3).dividing(1000) == nil)
        #expect(ExactDecimal(value: -10, scale: 1).description == "-1.0")
        #expect(ExactDecimal(value: 5, scale: 3).description == "0.005")
    }
}
