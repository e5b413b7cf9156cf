import Testing
import TestSupport
@testable import Ingest

/// The exact set of customer ids an ingest has met.
@Suite("Seen customers")
struct SeenCustomersTests {
    @Test("holds exactly the ids inserted, through many growths and block boundaries")
    func exact() {
        var set = SeenCustomers()
        var reference = Set<String>()
        var random = SplitMix64(seed: 11)
        for i in 0..<60_000 {
            // Short numeric ids, 128-byte ids, ids that differ only in their last byte, and repeats.
            let id: String
            switch i % 4 {
            case 0: id = "uci:\(random.next() % 20_000)"
            case 1: id = "contact:" + String(repeating: "a", count: 110) + "\(random.next() % 5_000)"
            case 2: id = "c\(i)"
            default: id = "x" + String(i % 2_000)
            }
            #expect(set.insert(id) == reference.insert(id).inserted)
        }
        #expect(set.count == reference.count)
        for id in reference { #expect(set.contains(id)) }
        for i in 0..<2_000 { #expect(!set.contains("never-\(i)")) }
        #expect(!set.contains("") && set.insert("") && set.contains("") && !set.insert(""))
    }
}
