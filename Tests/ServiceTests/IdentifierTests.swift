import Testing
@testable import Service

@Suite("Ids the service makes")
struct IdentifierTests {
    @Test("request ids are sixteen hex digits and never repeat in a run")
    func requestIds() {
        let ids = (0..<50_000).map { _ in RequestMiddleware.newId() }
        #expect(Set(ids).count == ids.count)
        #expect(ids.allSatisfy { $0.utf8.count == 16 && $0.utf8.allSatisfy { ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x61 && $0 <= 0x66) } })
        // Consecutive requests do not get ids that show their order.
        // (A plain counter would change ~1 of the 16 digits from one id to the next; random ids change 15.)
        let changed = (0..<1_000).map { i in zip(ids[i].utf8, ids[i + 1].utf8).filter { $0 != $1 }.count }
        #expect(Double(changed.reduce(0, +)) / 1_000 > 12)
        #expect(ids.allSatisfy { RequestMiddleware.sane($0) != nil }, "a client may send one back")
    }

    @Test("minted record ids are upper-case hex of the length asked for")
    func mintedIds() {
        let ids = (0..<2_000).map { _ in RequestMiddleware.randomHex(12) }
        #expect(Set(ids).count == ids.count)
        #expect(ids.allSatisfy { $0.utf8.count == 12 && $0.utf8.allSatisfy { ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x41 && $0 <= 0x46) } })
        #expect(RequestMiddleware.randomHex(20).utf8.count == 20)
        // Every digit shows up: the draw covers the whole alphabet.
        #expect(Set(ids.joined()).count == 16)
    }
}
