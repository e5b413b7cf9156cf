import Crypto
import Testing
import Ledger
import LMDB

/// The by_source layout of format 2, and ledgers of format 1 (whose by_source hashed the whole
/// reference) refused until `upgrade` rebuilds that index from the log.
@Suite("Ledger format")
struct FormatTests {
    func key(_ source: String, _ id: String) -> [UInt8] {
        Ledger.sourceIndexKey(SourceReference(source: source, externalId: id))
    }

    @Test("by_source keys of ids handed out in rising order rise, within their source's range")
    func orderedSourceKeys() {
        let ids = ["536365", "536366", "536999", "537000", "999999", "1000000", "1000001"]
        let keys = ids.map { key("pos:uci:uk-1", $0) }
        #expect(zip(keys, keys.dropFirst()).allSatisfy { $0.lexicographicallyPrecedes($1) })
        // The source's tag, then the id's length, then the id itself.
        #expect(keys[0].count == 8 + 1 + 6)
        #expect(keys[0][8] == 6 && Array(keys[0][9...]) == Array("536365".utf8))
        #expect(keys.allSatisfy { $0.prefix(8) == keys[0].prefix(8) })
        // Another source: another tag, the same id apart.
        let other = key("pos:uci:uk-2", "536365")
        #expect(other.prefix(8) != keys[0].prefix(8) && other.suffix(7) == keys[0].suffix(7))
    }

    @Test("external ids over 80 bytes are hashed: a fixed 25-byte key that still tells them apart")
    func longIds() {
        let plain = key("pos", String(repeating: "x", count: 80))
        #expect(plain.count == 8 + 1 + 80)
        let long = String(repeating: "x", count: 200)
        let a = key("pos", long), b = key("pos", long + "y")
        #expect(a.count == 25 && b.count == 25 && a != b && a[8] == 0xFF)
        #expect(a.prefix(8) == plain.prefix(8))
    }

    @Test("long and plain ids, several sources: duplicates found, verify sound")
    func appendsAndDuplicates() throws {
        let dir = Scratch("format"); defer { dir.remove() }
        let ledger = try dir.ledger(); defer { ledger.close() }
        let refs = (0..<120).map { i in
            SourceReference(source: "pos:s\(i % 3)", externalId: i % 10 == 0 ? String(repeating: "r", count: 100) + "\(i)" : "\(1000 + i)")
        }
        let events = refs.enumerated().map { i, r in Controls.visit("C\(i % 9)", minute: Int64(i), source: r) }
        #expect(ledger.appendAndWait(events).allSatisfy { (try? $0.get().duplicate) == false })
        #expect(ledger.appendAndWait(events).allSatisfy { (try? $0.get().duplicate) == true })
        for (i, r) in refs.enumerated() { #expect(try ledger.sequence(of: r) == UInt64(i + 1)) }
        #expect(try ledger.sequence(of: SourceReference(source: "pos:s3", externalId: "1000")) == nil)
        #expect(try ledger.verify().isSound)
    }

    /// Turns a ledger of this build into one as format 1 wrote it: by_source keyed by the first
    /// 16 bytes of SHA-256(u8 len ‖ source ‖ external id), and the format tag `clientele-ledger/1`.
    func downgrade(_ dir: Scratch, _ refs: [SourceReference]) throws {
        let env = try Environment(path: dir.path)
        defer { env.close() }
        let bySource = try env.database("by_source")
        let meta = try env.database("meta")
        try env.write { (txn: borrowing Transaction) throws in
            try txn.clear(bySource)
            for (i, r) in refs.enumerated() {
                let key = [UInt8](SHA256.hash(data: [UInt8(r.source.utf8.count)] + Array(r.source.utf8) + Array(r.externalId.utf8)).prefix(16))
                var seq = UInt64(i + 1).bigEndian
                try key.withUnsafeBytes { k in try withUnsafeBytes(of: &seq) { v in try txn.put(bySource, key: k, value: v) } }
            }
            try Array("format".utf8).withUnsafeBytes { k in
                try Array("clientele-ledger/1".utf8).withUnsafeBytes { v in try txn.put(meta, key: k, value: v) }
            }
        }
    }

    @Test("a ledger of format 1 is refused with what to do; upgrading rebuilds by_source from the log and changes no event")
    func upgradeFromFormat1() throws {
        let dir = Scratch("upgrade"); defer { dir.remove() }
        let refs = (0..<250).map { SourceReference(source: "pos:uci:s\($0 % 2)", externalId: "\(536_000 + $0)") }
        let head: ChainHash
        do {
            let ledger = try dir.ledger()
            defer { ledger.close() }
            _ = ledger.appendAndWait(refs.enumerated().map { i, r in Controls.visit("C\(i % 13)", minute: Int64(i), source: r) })
            head = try ledger.verify().headHash
        }
        try downgrade(dir, refs)

        #expect {
            try Ledger(path: dir.path)
        } throws: { error in
            guard case LedgerError.upgradeNeeded(_, let found) = error else { return false }
            return found == "clientele-ledger/1" && "\(error)".contains("clientele upgrade --db \(dir.path)")
        }

        var options = LedgerOptions()
        options.upgrade = true
        let ledger = try Ledger(path: dir.path, options: options)
        defer { ledger.close() }
        let done = try #require(ledger.upgraded)
        #expect(done.from == "clientele-ledger/1" && done.to == Ledger.formatTag)
        #expect(done.events == 250 && done.sourceEntries == 250)
        let report = try ledger.verify()
        #expect(report.isSound, "\(report.problems)")
        #expect(report.headHash == head)
        #expect(try ledger.sequence(of: refs[137]) == 138)
        // Idempotent appends work on the rebuilt index.
        let again = ledger.appendAndWait([Controls.visit("C1", source: refs[3])])
        #expect((try? again[0].get())?.duplicate == true)
        #expect(try ledger.head().sequence == 250)
    }

    @Test("an upgrade left unfinished is refused until run again; a ledger in this format opens as it is")
    func interruptedUpgrade() throws {
        let dir = Scratch("interrupted"); defer { dir.remove() }
        do { try dir.ledger().close() }
        try dir.setFormat("clientele-ledger/2 (upgrade in progress)")
        #expect {
            try Ledger(path: dir.path)
        } throws: { error in
            "\(error)".contains("was started and not finished")
        }
        var options = LedgerOptions()
        options.upgrade = true
        do {
            let ledger = try Ledger(path: dir.path, options: options)
            #expect(ledger.upgraded?.events == 0)
            ledger.close()
        }
        let ledger = try Ledger(path: dir.path, options: options)
        #expect(ledger.upgraded == nil)
        ledger.close()
    }
}
