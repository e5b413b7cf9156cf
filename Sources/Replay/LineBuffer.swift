import Ledger
import LedgerJSON
#if canImport(Glibc)
import Glibc
#endif

/// A growable byte buffer for writing millions of lines: one allocation, raw copies, no
/// per-byte append. Dates are cached by day, since consecutive events mostly share one.
final class LineBuffer {
    // One owner, used by one thread at a time (the replay that made it).
    private(set) var base: UnsafeMutablePointer<UInt8>
    private(set) var count = 0
    private var capacity: Int
    private typealias DateText = (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8)
    /// Two days remembered (occurred-at and recorded-at usually differ), the older one replaced.
    private var cachedDays: (Int64, Int64) = (.min, .min)
    private var cachedDates: (DateText, DateText) = ((0, 0, 0, 0, 0, 0, 0, 0, 0, 0), (0, 0, 0, 0, 0, 0, 0, 0, 0, 0))
    private var replaceSecond = false

    init(capacity: Int) {
        self.capacity = max(64, capacity)
        base = .allocate(capacity: self.capacity)
    }

    deinit { base.deallocate() }

    /// The bytes written so far, valid until the next write.
    var written: UnsafeRawBufferPointer { UnsafeRawBufferPointer(start: base, count: count) }

    func reset() { count = 0 }

    @inline(__always) func reserve(_ n: Int) {
        if count + n > capacity { grow(count + n) }
    }

    private func grow(_ needed: Int) {
        let next = max(needed, capacity * 2)
        let fresh = UnsafeMutablePointer<UInt8>.allocate(capacity: next)
        fresh.update(from: base, count: count)
        base.deallocate()
        base = fresh
        capacity = next
    }

    @inline(__always) func byte(_ b: UInt8) {
        reserve(1)
        base[count] = b
        count += 1
    }

    @inline(__always) func raw(_ s: StaticString) {
        let n = s.utf8CodeUnitCount
        reserve(n)
        memcpy(base + count, s.utf8Start, n)
        count += n
    }

    @inline(__always) func bytes(_ p: UnsafeRawBufferPointer) {
        guard let start = p.baseAddress, p.count > 0 else { return }
        reserve(p.count)
        memcpy(base + count, start, p.count)
        count += p.count
    }

    @inline(__always) func bytes(_ a: [UInt8]) { a.withUnsafeBytes { bytes($0) } }

    /// A JSON string from UTF-8 bytes: copied whole when nothing needs escaping (nearly always).
    @inline(__always) func jsonString(_ p: UnsafeRawBufferPointer) {
        for c in p where c < 0x20 || c == 0x22 || c == 0x5C {
            var w = JSONWriter(capacity: p.count + 8)
            w.string(utf8: p)
            bytes(w.bytes)
            return
        }
        reserve(p.count + 2)
        base[count] = 0x22
        count += 1
        if let start = p.baseAddress, p.count > 0 { memcpy(base + count, start, p.count); count += p.count }
        base[count] = 0x22
        count += 1
    }

    @inline(__always) func decimal(_ v: UInt64) {
        reserve(20)
        if v < 10 { base[count] = UInt8(48 + v); count += 1; return }
        var digits = 0
        var x = v
        while x > 0 { digits += 1; x /= 10 }
        x = v
        var i = count + digits - 1
        while x > 0 { base[i] = UInt8(48 + x % 10); x /= 10; i -= 1 }
        count += digits
    }

    private static let pairs: [UInt8] = {
        var t: [UInt8] = []
        for i in 0..<100 { t.append(UInt8(48 + i / 10)); t.append(UInt8(48 + i % 10)) }
        return t
    }()

    @inline(__always) private func two(_ v: Int) {
        LineBuffer.pairs.withUnsafeBufferPointer { p in
            base[count] = p[2 * v]
            base[count + 1] = p[2 * v + 1]
        }
        count += 2
    }

    /// RFC 3339 text, byte for byte as `Timestamp.writeISO8601` writes it.
    func iso8601(_ t: Timestamp) {
        let local = t.microseconds + Int64(t.offsetMinutes) * 60_000_000
        var days = local / 86_400_000_000
        var inDay = local % 86_400_000_000
        if inDay < 0 { inDay += 86_400_000_000; days -= 1 }
        var date: DateText
        if days == cachedDays.0 {
            date = cachedDates.0
        } else if days == cachedDays.1 {
            date = cachedDates.1
        } else {
            let (y, m, d) = Timestamp.civil(fromDays: days)
            guard y >= 0 && y <= 9999 else {
                var out: [UInt8] = []
                t.writeISO8601(into: &out)
                bytes(out)
                return
            }
            let yy = Int(y)
            date = (UInt8(48 + yy / 1000), UInt8(48 + yy / 100 % 10), UInt8(48 + yy / 10 % 10), UInt8(48 + yy % 10), 0x2D,
                    UInt8(48 + Int(m) / 10), UInt8(48 + Int(m) % 10), 0x2D, UInt8(48 + Int(d) / 10), UInt8(48 + Int(d) % 10))
            if replaceSecond { cachedDays.1 = days; cachedDates.1 = date } else { cachedDays.0 = days; cachedDates.0 = date }
            replaceSecond.toggle()
        }
        reserve(40)
        _ = withUnsafeBytes(of: &date) { memcpy(base + count, $0.baseAddress!, 10) }
        count += 10
        base[count] = 0x54 // T
        count += 1
        let secs = Int(inDay / 1_000_000), frac = Int(inDay % 1_000_000)
        two(secs / 3600); base[count] = 0x3A; count += 1
        two(secs / 60 % 60); base[count] = 0x3A; count += 1
        two(secs % 60)
        if frac != 0 {
            base[count] = 0x2E
            count += 1
            if frac % 1000 == 0 {
                let ms = frac / 1000
                base[count] = UInt8(48 + ms / 100); count += 1
                two(ms % 100)
            } else {
                two(frac / 10_000); two(frac / 100 % 100); two(frac % 100)
            }
        }
        if t.offsetMinutes == 0 {
            base[count] = 0x5A // Z
            count += 1
        } else {
            base[count] = t.offsetMinutes < 0 ? 0x2D : 0x2B
            count += 1
            let o = abs(Int(t.offsetMinutes))
            two(o / 60 % 100); base[count] = 0x3A; count += 1
            two(o % 60)
        }
    }

    private static let hexPairs: [UInt8] = {
        let digits = Array("0123456789abcdef".utf8)
        var t: [UInt8] = []
        for b in 0..<256 { t.append(digits[b >> 4]); t.append(digits[b & 15]) }
        return t
    }()

    /// The hash as 64 lower-case hex digits.
    @inline(__always) func hex(_ h: ChainHash) {
        reserve(64)
        LineBuffer.hexPairs.withUnsafeBufferPointer { table in
            withUnsafeBytes(of: h) { raw in
                for (i, b) in raw.enumerated() {
                    base[count + 2 * i] = table[2 * Int(b)]
                    base[count + 2 * i + 1] = table[2 * Int(b) + 1]
                }
            }
        }
        count += 64
    }
}

/// Pseudonyms by customer id bytes, in an open-addressing table of 64-byte slots (one cache
/// line each: the id, or where a long one is kept; the pseudonym; the id's hash), so a lookup
/// costs one memory access, no allocation: one HMAC per distinct customer, then a hash and a compare.
final class PseudonymTable {
    // One owner, used by one thread at a time (the replay that made it).
    private var pseudonyms: CustomerPseudonyms
    private var slots: UnsafeMutableRawPointer
    private var mask: Int
    private var entries = 0
    private var longKeys: [UInt8] = []

    private static let slotSize = 64, inlineKey = 23, aliasAt = 24, hashAt = 56

    init(_ pseudonyms: CustomerPseudonyms) {
        self.pseudonyms = pseudonyms
        mask = 1023
        slots = PseudonymTable.allocate(mask + 1)
    }

    deinit { slots.deallocate() }

    private static func allocate(_ count: Int) -> UnsafeMutableRawPointer {
        let p = UnsafeMutableRawPointer.allocate(byteCount: count * slotSize, alignment: 64)
        p.initializeMemory(as: UInt8.self, repeating: 0, count: count * slotSize)
        return p
    }

    @inline(__always) private static func hash(_ p: UnsafeRawBufferPointer) -> UInt64 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in p { h = (h ^ UInt64(b)) &* 0x100_0000_01b3 }
        return h ^ (h >> 29)
    }

    /// Whether the slot at `slot` holds `id`.
    @inline(__always) private func holds(_ slot: UnsafeMutableRawPointer, _ id: UnsafeRawBufferPointer, _ h: UInt64) -> Bool {
        guard Int(slot.load(as: UInt8.self)) == id.count, slot.load(fromByteOffset: PseudonymTable.hashAt, as: UInt64.self) == h else { return false }
        if id.count <= PseudonymTable.inlineKey { return memcmp(slot + 1, id.baseAddress!, id.count) == 0 }
        let start = Int(slot.loadUnaligned(fromByteOffset: 1, as: Int32.self))
        return longKeys.withUnsafeBytes { memcmp($0.baseAddress! + start, id.baseAddress!, id.count) == 0 }
    }

    /// Writes the pseudonym of the customer `id` (its 32 hex digits, unquoted) into `out`.
    @inline(__always) func write(_ id: UnsafeRawBufferPointer, into out: LineBuffer) {
        let h = PseudonymTable.hash(id)
        var i = Int(truncatingIfNeeded: h) & mask
        while true {
            let slot = slots + i * PseudonymTable.slotSize
            if slot.load(as: UInt8.self) == 0 { break }
            if holds(slot, id, h) {
                out.bytes(UnsafeRawBufferPointer(start: slot + PseudonymTable.aliasAt, count: 32))
                return
            }
            i = (i + 1) & mask
        }
        let alias = pseudonyms.pseudonym(utf8: id)
        insert(id, hash: h, alias: alias)
        out.bytes(alias)
    }

    private func insert(_ id: UnsafeRawBufferPointer, hash h: UInt64, alias: [UInt8]) {
        if (entries + 1) * 2 > mask + 1 { rehash() }
        var i = Int(truncatingIfNeeded: h) & mask
        while (slots + i * PseudonymTable.slotSize).load(as: UInt8.self) != 0 { i = (i + 1) & mask }
        let slot = slots + i * PseudonymTable.slotSize
        slot.storeBytes(of: UInt8(id.count), as: UInt8.self)
        if id.count <= PseudonymTable.inlineKey {
            memcpy(slot + 1, id.baseAddress!, id.count)
        } else {
            slot.storeBytes(of: Int32(longKeys.count), toByteOffset: 1, as: Int32.self)
            longKeys.append(contentsOf: id)
        }
        _ = alias.withUnsafeBytes { memcpy(slot + PseudonymTable.aliasAt, $0.baseAddress!, min(32, $0.count)) }
        slot.storeBytes(of: h, toByteOffset: PseudonymTable.hashAt, as: UInt64.self)
        entries += 1
    }

    private func rehash() {
        let old = slots, oldCount = mask + 1
        mask = oldCount * 2 - 1
        slots = PseudonymTable.allocate(mask + 1)
        for k in 0..<oldCount {
            let from = old + k * PseudonymTable.slotSize
            guard from.load(as: UInt8.self) != 0 else { continue }
            let h = from.load(fromByteOffset: PseudonymTable.hashAt, as: UInt64.self)
            var i = Int(truncatingIfNeeded: h) & mask
            while (slots + i * PseudonymTable.slotSize).load(as: UInt8.self) != 0 { i = (i + 1) & mask }
            memcpy(slots + i * PseudonymTable.slotSize, from, PseudonymTable.slotSize)
        }
        old.deallocate()
    }

    /// The pseudonymiser itself, for ids met outside the envelope (merge payloads).
    func pseudonym(_ id: String) -> String { pseudonyms.pseudonym(id) }

    /// Gives the pseudonyms made back.
    var made: CustomerPseudonyms { pseudonyms }
}
