import Testing
import TestSupport
@testable import Projections

@Suite("Small lists (a record's lists, inline up to N)")
struct SmallListTests {
    /// Runs 2,000 random edits on a `SmallList<3, Int64>` and on an array side by side, and
    /// requires them to hold the same elements after every edit: the lists cross their inline
    /// size both ways, so both the inline paths and the heap ones are taken.
    @Test("every edit gives what the same edit gives an array", arguments: [1 as UInt64, 2, 3, 4, 5])
    func matchesArray(seed: UInt64) {
        var generator = SplitMix64(seed: seed)
        var list = SmallList<3, Int64>()
        var array: [Int64] = []
        for step in 0..<2_000 {
            let v = Int64.random(in: -1_000...1_000, using: &generator)
            let edit: String
            switch Int.random(in: 0..<10, using: &generator) {
            case 0, 1, 2:
                edit = "append"
                list.append(v); array.append(v)
            case 3, 4:
                let i = Int.random(in: 0...array.count, using: &generator)
                edit = "insert at \(i)"
                list.insert(v, at: i); array.insert(v, at: i)
            case 5:
                let k = Int.random(in: 0...array.count, using: &generator)
                edit = "removeFirst(\(k))"
                list.removeFirst(k); array.removeFirst(k)
            case 6:
                edit = "removeAll(where: even)"
                list.removeAll { $0 % 2 == 0 }; array.removeAll { $0 % 2 == 0 }
            case 7:
                guard !array.isEmpty else { continue }
                let i = Int.random(in: 0..<array.count, using: &generator)
                edit = "set \(i)"
                list[i] = v; array[i] = v
            case 8:
                edit = "remove(at:)"
                guard !array.isEmpty else { continue }
                let i = Int.random(in: 0..<array.count, using: &generator)
                #expect(list.remove(at: i) == array.remove(at: i))
            default:
                // Keep the lists short now and then, so they go back inline.
                if array.count > 8 { edit = "removeAll"; list.removeAll(); array.removeAll() } else { edit = "none"; continue }
            }
            #expect(Array(list) == array, "step \(step): \(edit)")
            #expect(list.count == array.count && list.isEmpty == array.isEmpty && list.last == array.last)
            #expect(list == SmallList(array), "equal to a list made from the same elements")
        }
    }

    @Test("unused inline places do not make lists unequal")
    func equality() {
        var a: SmallList<4, String> = ["x", "y", "z"]
        a.removeFirst(2)
        let b: SmallList<4, String> = ["z"]
        #expect(a == b)
        #expect(a != ["y"])
        #expect(SmallList<2, String>(["a", "b", "c", "d"]) == ["a", "b", "c", "d"])
        #expect(SmallList<2, String>(["a", "b", "c", "d"]) != ["a", "b", "c"])
    }

    @Test("stored bytes are an array's, whether the list is inline or not", arguments: [0, 1, 3, 4, 9])
    func encoding(count: Int) {
        let numbers = (0..<count).map { Int64($0 * 1_000 - 3) }
        let strings = (0..<count).map { "category-\($0)" }
        var fromArrays = RecordWriter(), fromLists = RecordWriter()
        fromArrays.ints(numbers); fromArrays.strings(strings)
        fromLists.ints(SmallList<3, Int64>(numbers)); fromLists.strings(SmallList<3, String>(strings))
        let a = fromArrays.withBytes { Array($0) }, b = fromLists.withBytes { Array($0) }
        #expect(a == b)
        b.withUnsafeBytes { bytes in
            var r = RecordReader(bytes)
            let n: SmallList<3, Int64> = r.ints()
            let s: SmallList<3, String> = r.strings()
            #expect(Array(n) == numbers && Array(s) == strings && r.isComplete)
        }
    }
}
