import CMemoryHints
#if canImport(Glibc)
import Glibc
#endif

/// Customer ids interned into dense slots (0, 1, 2, …) during a rebuild: one hash per event,
/// shared by every customer-keyed model folded on the same thread, which then keep their
/// records in arrays indexed by slot instead of hashing the id again in a dictionary of their own.
///
/// An open-addressing table (linear probing, load ≤ 1/2) of 32-byte entries, one cache line
/// each: the hash's high 32 bits as a tag beside slot + 1, the id's length, and ids of up to 16
/// bytes inline (zero-padded), so the usual lookup is one cache miss — with 1 million customers
/// the table is far bigger than the caches, and the id's bytes kept elsewhere were two misses
/// more per event. Longer ids are compared against the arena that keeps every id's bytes in slot
/// order (the records' storage keys). Manual buffers (not arrays): the lookup runs once per event
/// and needs neither bounds nor exclusivity checks. Not thread-safe: one thread owns it.
final class CustomerSlots {
    struct Entry {
        /// tag (high 32 bits) | slot + 1 (low 32 bits); 0 = empty.
        var meta: UInt64
        var length: UInt64
        var k0: UInt64
        var k1: UInt64
    }

    private var table: UnsafeMutablePointer<Entry>
    private var mask: Int
    private var arena: ByteArena
    /// (start in the arena) << 32 | byte count, by slot.
    private var spans: UnsafeMutablePointer<UInt64>
    private var spansCapacity: Int
    /// How many ids are interned (the next slot).
    private(set) var count = 0

    init(capacity: Int = 1 << 16) {
        var size = 1 << 10
        while size < capacity * 2 { size <<= 1 }
        // Table memory reads as zeros: every entry empty, without writing it first.
        table = TableMemory.allocate(Entry.self, capacity: size)
        mask = size - 1
        arena = ByteArena(capacity: 16 * capacity)
        spansCapacity = capacity
        spans = .allocate(capacity: spansCapacity)
    }

    deinit {
        TableMemory.free(table, capacity: mask + 1)
        spans.deallocate()
    }

    /// The hash the table is indexed and tagged by (`ByteHash`).
    @inline(__always)
    static func hash(_ b: UnsafeRawBufferPointer) -> UInt64 { ByteHash.hash(b) }

    /// The first 16 bytes of `b`, zero-padded, as two words.
    @inline(__always)
    static func words(_ b: UnsafeRawBufferPointer) -> (UInt64, UInt64) {
        var w: (UInt64, UInt64) = (0, 0)
        let n = min(16, b.count)
        if n > 0 { withUnsafeMutableBytes(of: &w) { $0.baseAddress!.copyMemory(from: b.baseAddress!, byteCount: n) } }
        return w
    }

    /// The bytes of the id in `slot` (valid until the next new id is interned).
    @inline(__always)
    func bytes(_ slot: Int32) -> UnsafeRawBufferPointer {
        let s = spans[Int(slot)]
        return UnsafeRawBufferPointer(start: arena.base + Int(s >> 32), count: Int(s & 0xFFFF_FFFF))
    }

    /// The id in `slot` as a String.
    func string(_ slot: Int32) -> String { String(decoding: bytes(slot), as: UTF8.self) }

    /// Starts loading the table entry where the id of hash `h` is looked up first (`slot(_:hash:)`
    /// soon after finds it in the cache: with a million customers the table is far bigger than the caches).
    @inline(__always)
    func prefetch(hash h: UInt64) {
        clientele_prefetch(table + (Int(truncatingIfNeeded: h) & mask))
    }

    /// The slot of the id `b`, interning it when seen for the first time.
    @inline(__always)
    func slot(_ b: UnsafeRawBufferPointer) -> Int32 {
        slot(b, hash: CustomerSlots.hash(b))
    }

    /// The slot of the id `b` whose `hash(_:)` is `h`, interning it when seen for the first time.
    @inline(__always)
    func slot(_ b: UnsafeRawBufferPointer, hash h: UInt64) -> Int32 {
        let tag = h & 0xFFFF_FFFF_0000_0000
        let (k0, k1) = CustomerSlots.words(b)
        let length = UInt64(b.count)
        var i = Int(truncatingIfNeeded: h) & mask
        while true {
            let e = table[i]
            if e.meta == 0 { break }
            if e.meta & 0xFFFF_FFFF_0000_0000 == tag && e.length == length && e.k0 == k0 && e.k1 == k1 {
                let s = Int32(truncatingIfNeeded: (e.meta & 0xFFFF_FFFF) &- 1)
                if length <= 16 { return s }
                if sameBytes(bytes(s).baseAddress!, b.baseAddress!, count: b.count) { return s }
            }
            i = (i &+ 1) & mask
        }
        return insert(b, entry: Entry(meta: tag, length: length, k0: k0, k1: k1), at: i)
    }

    private func insert(_ b: UnsafeRawBufferPointer, entry: Entry, at i: Int) -> Int32 {
        let s = count
        if s == spansCapacity { spans = doubled(spans, count: s, capacity: &spansCapacity) }
        spans[s] = UInt64(arena.append(b)) << 32 | UInt64(b.count)
        count += 1
        var e = entry
        e.meta |= UInt64(s + 1)
        table[i] = e
        if count * 2 > mask + 1 { grow() }
        return Int32(s)
    }

    private func grow() {
        let size = (mask + 1) * 2
        let grown = TableMemory.allocate(Entry.self, capacity: size)
        let newMask = size - 1
        for j in 0...mask where table[j].meta != 0 {
            let e = table[j]
            let h = CustomerSlots.hash(bytes(Int32(truncatingIfNeeded: (e.meta & 0xFFFF_FFFF) - 1)))
            var i = Int(truncatingIfNeeded: h) & newMask
            while grown[i].meta != 0 { i = (i &+ 1) & newMask }
            grown[i] = e
        }
        TableMemory.free(table, capacity: mask + 1)
        table = grown
        mask = newMask
    }
}

/// True when the `n` bytes at `a` and at `b` are equal: word loads for the short ids and type
/// names the fold compares once per event (a call to `memcmp` costs more than the compare).
@inline(__always)
func sameBytes(_ a: UnsafeRawPointer, _ b: UnsafeRawPointer, count n: Int) -> Bool {
    if n >= 8 {
        var i = 0
        while i + 8 < n {
            if a.loadUnaligned(fromByteOffset: i, as: UInt64.self) != b.loadUnaligned(fromByteOffset: i, as: UInt64.self) { return false }
            i += 8
        }
        return a.loadUnaligned(fromByteOffset: n - 8, as: UInt64.self) == b.loadUnaligned(fromByteOffset: n - 8, as: UInt64.self)
    }
    if n >= 4 {
        return a.loadUnaligned(as: UInt32.self) == b.loadUnaligned(as: UInt32.self)
            && a.loadUnaligned(fromByteOffset: n - 4, as: UInt32.self) == b.loadUnaligned(fromByteOffset: n - 4, as: UInt32.self)
    }
    var i = 0
    while i < n {
        if a.load(fromByteOffset: i, as: UInt8.self) != b.load(fromByteOffset: i, as: UInt8.self) { return false }
        i += 1
    }
    return true
}
