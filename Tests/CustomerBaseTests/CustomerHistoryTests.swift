import Testing
@testable import CustomerBase

@Suite("Customer histories")
struct CustomerHistoryTests {
    @Test("from purchase days: one day counts once, times are whole days from the first")
    func fromPurchaseDays() throws {
        // Day 100 at 09:00 and 17:30, day 103, day 103 again, day 110 at noon; window ends day 130 at 18:00.
        let h = try #require(CustomerHistory(purchaseDays: [110.5, 100.375, 103.2, 100.729, 103.9], observationEnd: 130.75))
        #expect(h == history(2, 10, 30))
    }

    @Test("purchases after the observation end are left out; no purchase, no history")
    func window() throws {
        let h = try #require(CustomerHistory(purchaseDays: [10, 12, 40, 41], observationEnd: 20))
        #expect(h == history(1, 2, 10))
        #expect(CustomerHistory(purchaseDays: [Double](), observationEnd: 20) == nil)
        #expect(CustomerHistory(purchaseDays: [25.0, 30], observationEnd: 20) == nil)
        #expect(CustomerHistory(purchaseDays: [20.9], observationEnd: 20.1) == history(0, 0, 0))
    }

    @Test("from sorted distinct day numbers: the same history as from the days in any order")
    func fromSortedDistinctDays() {
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<2_000 {
            let days = Array(Set((0..<Int.random(in: 0...12, using: &generator)).map { _ in Int64.random(in: 0...60, using: &generator) })).sorted()
            let end = Double.random(in: -5...70, using: &generator)
            let expected = CustomerHistory(purchaseDays: days.shuffled().map { Double($0) }, observationEnd: end)
            #expect(CustomerHistory(sortedDistinctDays: days, observationEnd: end) == expected, "\(days) until \(end)")
        }
        #expect(CustomerHistory(sortedDistinctDays: [10, 12, 40, 41], observationEnd: 20) == history(1, 2, 10))
        #expect(CustomerHistory(sortedDistinctDays: [25, 30], observationEnd: 20) == nil)
        #expect(CustomerHistory(sortedDistinctDays: [3], observationEnd: .infinity) == nil)
    }

    @Test("impossible histories are refused", arguments: [
        (-1, 0.0, 5.0), (2, 6.0, 5.0), (1, -1.0, 5.0), (0, 3.0, 5.0), (2, 0.0, 5.0), (1, 1.0, .infinity), (1, .nan, 5.0),
    ])
    func invalid(_ values: (Int, Double, Double)) {
        #expect(throws: BGNBDError.self) {
            try CustomerHistory(frequency: values.0, recency: values.1, age: values.2)
        }
    }

    @Test("parameters must be positive and finite")
    func invalidParameters() {
        #expect(throws: BGNBDError.invalidParameters(r: 0, alpha: 1, a: 1, b: 1)) {
            try BGNBDParameters(r: 0, alpha: 1, a: 1, b: 1)
        }
        #expect(throws: BGNBDError.self) { try BGNBDParameters(r: 1, alpha: .infinity, a: 1, b: 1) }
        #expect(throws: BGNBDError.self) { try BGNBDParameters(r: 1, alpha: 1, a: -2, b: 1) }
    }
}
