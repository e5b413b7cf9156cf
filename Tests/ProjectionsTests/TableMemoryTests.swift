import Testing
@testable import Projections

@Suite("A rebuild's table memory")
struct TableMemoryTests {
    @Test("a table grows in place of its values: they keep their values, the room added reads as zeros")
    func grows() {
        var p = TableMemory.allocate(Int64.self, capacity: 1_000)
        for i in 0..<1_000 { p[i] = Int64(i) * 3 }
        p = TableMemory.grow(p, capacity: 1_000, to: 600_000)
        #expect((0..<1_000).allSatisfy { p[$0] == Int64($0) * 3 })
        #expect((1_000..<600_000).allSatisfy { p[$0] == 0 })
        TableMemory.free(p, capacity: 600_000)
    }

    /// A table the kernel refuses (here 2^56 bytes: more than any address space) stops the
    /// process with the message and the status of `outOfMemory`, not a trap and its crash report.
    @Test("a table the system refuses stops the process with a message saying what to do, not a crash")
    func refusedTable() async {
        let result = await #expect(processExitsWith: .exitCode(TableMemory.exitStatus), observing: [\.standardErrorContent]) {
            _ = TableMemory.allocate(UInt64.self, capacity: 1 << 53)
        }
        let text = String(decoding: result?.standardErrorContent ?? [], as: UTF8.self)
        #expect(text.hasPrefix("clientele: out of memory: a read model's fold asked for a table of 68719476736 MB"))
        #expect(text.contains("Nothing stored was changed"))
        #expect(!text.contains("Fatal error"))
    }
}
