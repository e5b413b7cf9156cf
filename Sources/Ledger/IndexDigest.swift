/// An order-independent digest of a set of index entries: the wrapping sum of a keyed 128-bit
/// hash of each entry, and their count. Two sets with equal digests are the same set, except
/// with negligible probability for a key chosen at random per run.
///
/// `verify` computes it once from the events (the entries that should exist) and once from the
/// index (the entries that do exist), each in one sequential pass, instead of one B-tree search
/// per entry.
struct IndexDigest: Equatable {
    var count = 0
    var low: UInt64 = 0
    var high: UInt64 = 0
    let seedLow: UInt64
    let seedHigh: UInt64

    init(seedLow: UInt64, seedHigh: UInt64) {
        self.seedLow = seedLow
        self.seedHigh = seedHigh
    }

    static func == (a: IndexDigest, b: IndexDigest) -> Bool { a.count == b.count && a.low == b.low && a.high == b.high }

    /// Adds the entry (key, value).
    @inline(__always)
    mutating func add(key: UnsafeRawBufferPointer, value: UnsafeRawBufferPointer) {
        count += 1
        low &+= IndexDigest.hash(key, value, seed: seedLow)
        high &+= IndexDigest.hash(key, value, seed: seedHigh)
    }

    @inline(__always)
    static func hash(_ key: UnsafeRawBufferPointer, _ value: UnsafeRawBufferPointer, seed: UInt64) -> UInt64 {
        var h = seed ^ (UInt64(key.count) &* 0x9E37_79B9_7F4A_7C15)
        h = absorb(key, into: h)
        h = absorb(value, into: h ^ 0xD6E8_FEB8_6659_FD93)
        return finalize(h ^ UInt64(value.count))
    }

    @inline(__always)
    static func absorb(_ bytes: UnsafeRawBufferPointer, into start: UInt64) -> UInt64 {
        var h = start
        var i = 0
        let n = bytes.count
        while i + 8 <= n {
            h = (h ^ bytes.loadUnaligned(fromByteOffset: i, as: UInt64.self)) &* 0xFF51_AFD7_ED55_8CCD
            h ^= h >> 29
            i += 8
        }
        var tail: UInt64 = 0
        var shift: UInt64 = 0
        while i < n {
            tail |= UInt64(bytes[i]) << shift
            shift += 8
            i += 1
        }
        return (h ^ tail ^ (shift << 56)) &* 0xC4CE_B9FE_1A85_EC53
    }

    /// MurmurHash3's 64-bit finalizer.
    @inline(__always)
    static func finalize(_ x: UInt64) -> UInt64 {
        var h = x
        h ^= h >> 33
        h &*= 0xFF51_AFD7_ED55_8CCD
        h ^= h >> 33
        h &*= 0xC4CE_B9FE_1A85_EC53
        h ^= h >> 33
        return h
    }
}
