import Testing
import TestSupport
@testable import Projections

@Suite("Key order (the order records are written in)")
struct KeyOrderTests {
    /// Random keys of 0–12 bytes from a small alphabet that includes a zero byte, so that many
    /// share their first 8 bytes, some are prefixes of others, and some differ from a
    /// zero-padded twin only by length; the radix order must equal a comparison sort by LMDB's
    /// rule (bytes, then length), and keep equal keys in their first order.
    @Test("equals a comparison sort by bytes then length", arguments: [1 as UInt64, 2, 3, 4])
    func matchesComparisonSort(seed: UInt64) {
        var generator = SplitMix64(seed: seed)
        let alphabet: [UInt8] = [0, 1, 0x43, 0x7F, 0x80, 0xFF]
        let count = Int.random(in: 1...3_000, using: &generator)
        let keys: [[UInt8]] = (0..<count).map { _ in
            let length = Int.random(in: 0...12, using: &generator)
            return (0..<length).map { _ in alphabet[Int.random(in: 0..<alphabet.count, using: &generator)] }
        }
        let items = (0..<Int32(count)).shuffled(using: &generator)
        let order = keys.withBytesLookup { bytes in KeyOrder.sorted(items) { bytes($0) } }
        let expected = items.enumerated().sorted { a, b in
            let x = keys[Int(a.element)], y = keys[Int(b.element)]
            if x != y { return x.lexicographicallyPrecedes(y) }
            return a.offset < b.offset
        }.map(\.element)
        #expect(order == expected)
    }

    /// Ids as a store has them ("C0000001"…): every key is 8 bytes, the radix sort alone decides.
    @Test("customer ids come out in id order")
    func customerIds() {
        var generator = SplitMix64(seed: 7)
        let ids = (1...20_000).map { n -> [UInt8] in
            let digits = String(n)
            return Array(("C" + String(repeating: "0", count: 7 - digits.count) + digits).utf8)
        }
        let items = (0..<Int32(ids.count)).shuffled(using: &generator)
        let order = ids.withBytesLookup { bytes in KeyOrder.sorted(items) { bytes($0) } }
        #expect(order == Array(0..<Int32(ids.count)))
    }

    @Test("no item and one item")
    func trivial() {
        #expect(KeyOrder.sorted([]) { _ in UnsafeRawBufferPointer(start: nil, count: 0) } == [])
        #expect(KeyOrder.sorted([5]) { _ in UnsafeRawBufferPointer(start: nil, count: 0) } == [5])
    }
}

extension Array where Element == [UInt8] {
    /// Lends a lookup of each key's bytes by index, valid inside `body`.
    fileprivate func withBytesLookup<R>(_ body: ((Int32) -> UnsafeRawBufferPointer) -> R) -> R {
        var arena: [UInt8] = []
        var spans: [Range<Int>] = []
        for key in self {
            spans.append(arena.count..<arena.count + key.count)
            arena.append(contentsOf: key)
        }
        arena.append(0)  // never empty: a base address for every key
        return arena.withUnsafeBytes { a in body { UnsafeRawBufferPointer(rebasing: a[spans[Int($0)]]) } }
    }
}
