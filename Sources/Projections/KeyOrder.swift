#if canImport(Glibc)
import Glibc
#endif

/// The order in which a model's records are written: by storage key, as LMDB compares keys
/// (bytes first, then length), so that every record is appended at the end of the database.
///
/// A rebuild sorts a million customer ids here before writing. The ids' first 8 bytes decide
/// almost every pair, so they are sorted as integers by a radix sort; only ids whose first 8
/// bytes are equal (longer ids sharing them, or a shorter id and its zero-padded longer twin)
/// are then compared in full.
enum KeyOrder {
    /// `items` sorted by `bytes(item)`: memcmp over the shorter length, then the shorter first.
    /// Items with equal keys keep their order.
    static func sorted(_ items: [Int32], bytes: (Int32) -> UnsafeRawBufferPointer) -> [Int32] {
        let n = items.count
        guard n > 1 else { return items }
        var keyed = [Keyed](unsafeUninitializedCapacity: n) { buffer, count in
            for (i, item) in items.enumerated() {
                buffer.initializeElement(at: i, to: Keyed(prefix: prefix(of: bytes(item)), item: item))
            }
            count = n
        }
        radixSort(&keyed)
        var order = [Int32](unsafeUninitializedCapacity: n) { buffer, count in
            for i in 0..<n { buffer.initializeElement(at: i, to: keyed[i].item) }
            count = n
        }
        // Runs of equal prefixes: in full.
        var start = 0
        while start < n {
            var end = start + 1
            while end < n && keyed[end].prefix == keyed[start].prefix { end += 1 }
            if end - start > 1 {
                order[start..<end].sort { i, j in less(bytes(i), bytes(j)) }
            }
            start = end
        }
        return order
    }

    /// LMDB's default key order: memcmp over the shorter length, then the shorter first.
    @inline(__always)
    static func less(_ x: UnsafeRawBufferPointer, _ y: UnsafeRawBufferPointer) -> Bool {
        let n = min(x.count, y.count)
        let c = n == 0 ? 0 : memcmp(x.baseAddress!, y.baseAddress!, n)
        return c != 0 ? c < 0 : x.count < y.count
    }

    /// An item beside its key's first 8 bytes, read as a big-endian integer (zero-padded): the
    /// integers compare as the bytes do.
    struct Keyed {
        var prefix: UInt64
        var item: Int32
    }

    @inline(__always)
    static func prefix(of key: UnsafeRawBufferPointer) -> UInt64 {
        var word: UInt64 = 0
        if let base = key.baseAddress {
            withUnsafeMutableBytes(of: &word) { $0.baseAddress!.copyMemory(from: base, byteCount: min(8, key.count)) }
        }
        return UInt64(bigEndian: word)
    }

    /// A stable least-significant-digit radix sort by `prefix`, a byte a pass; a pass whose byte
    /// is the same in every key (the "C0" of "C0000001") is skipped.
    static func radixSort(_ keyed: inout [Keyed]) {
        let n = keyed.count
        var counts = [Int](repeating: 0, count: 8 * 256)
        for k in keyed {
            for d in 0..<8 { counts[d &* 256 &+ Int((k.prefix >> UInt64(d &* 8)) & 0xFF)] &+= 1 }
        }
        var other = [Keyed](repeating: Keyed(prefix: 0, item: 0), count: n)
        for d in 0..<8 {
            let base = d * 256
            if counts[base + Int((keyed[0].prefix >> UInt64(d * 8)) & 0xFF)] == n { continue }
            var next = [Int](repeating: 0, count: 256)
            var sum = 0
            for b in 0..<256 { next[b] = sum; sum += counts[base + b] }
            keyed.withUnsafeBufferPointer { from in
                other.withUnsafeMutableBufferPointer { to in
                    next.withUnsafeMutableBufferPointer { next in
                        let shift = UInt64(d * 8)
                        for k in from {
                            let b = Int((k.prefix >> shift) & 0xFF)
                            to[next[b]] = k
                            next[b] &+= 1
                        }
                    }
                }
            }
            swap(&keyed, &other)
        }
    }
}
