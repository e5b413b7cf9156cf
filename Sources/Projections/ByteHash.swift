/// A hash of the short byte strings the folds look up once per event (customer ids, type names,
/// store codes) in tables of their own: eight bytes at a time, then murmur3's finalizer, so that
/// both the low bits (a table index) and the high bits (a tag) are well mixed. FNV-1a, byte by
/// byte, took a multiply per byte: ~20 for a type name, twice per event. Nothing stores these
/// hashes, so they may change with the code.
enum ByteHash {
    @inline(__always)
    static func hash(_ b: UnsafeRawBufferPointer) -> UInt64 {
        let n = b.count
        var h: UInt64 = 0x9E37_79B9_7F4A_7C15 ^ UInt64(truncatingIfNeeded: n)
        if let p = b.baseAddress, n > 0 {
            var i = 0
            while i + 8 <= n {
                h = (h ^ p.loadUnaligned(fromByteOffset: i, as: UInt64.self)) &* 0xFF51_AFD7_ED55_8CCD
                h ^= h >> 32
                i += 8
            }
            if i < n {
                var w: UInt64 = 0
                if n >= 8 {
                    // The last eight bytes, overlapping the word before.
                    w = p.loadUnaligned(fromByteOffset: n - 8, as: UInt64.self)
                } else {
                    for j in 0..<n { w |= UInt64(p.load(fromByteOffset: j, as: UInt8.self)) << UInt64(8 * j) }
                }
                h = (h ^ w) &* 0xC4CE_B9FE_1A85_EC53
            }
        }
        h ^= h >> 33
        h = h &* 0xFF51_AFD7_ED55_8CCD
        h ^= h >> 33
        h = h &* 0xC4CE_B9FE_1A85_EC53
        h ^= h >> 33
        return h
    }
}
