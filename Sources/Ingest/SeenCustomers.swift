#if canImport(Glibc)
import Glibc
#endif

/// The customers an ingest has seen so far: an exact set of ids in about 25 bytes per id.
///
/// A run registers each customer at the first receipt it reads of them, so it must remember
/// every id it met: 1.76 million at 10 million lines. `Set<String>` holds them in 16-byte slots at
/// most three-quarters full and, when it grows, keeps the old table and the new one (twice as
/// large) at once: 64 MB, and 96 MB while it grows, at that size. Here the ids' bytes go one after
/// the other into 1 MiB blocks, and 256 open-addressing tables of 8-byte slots (a 24-bit tag of
/// the hash and the id's offset), up to 85 % full, point at them; each table grows on its own, so
/// growing holds one table in two copies, not the whole set: about 45 MB at that size.
///
/// Not thread-safe.
struct SeenCustomers {
    private struct Shard {
        var slots: [UInt64] = Array(repeating: 0, count: 16)
        var count = 0
    }

    private var shards = Array(repeating: Shard(), count: 256)
    private var blocks: [[UInt8]] = []
    private let hashSeed = Hasher()
    /// Ids in the set.
    private(set) var count = 0

    static let blockSize = 1 << 20
    private static let offsetBits: UInt64 = 40
    private static let offsetMask: UInt64 = (1 << offsetBits) - 1

    /// An empty set.
    init() {}

    /// Adds `id`; returns true when it was not in the set.
    /// - Complexity: O(length of `id`) on average.
    mutating func insert(_ id: String) -> Bool {
        var id = id
        return id.withUTF8 { insert(UnsafeRawBufferPointer($0)) }
    }

    /// Whether `id` is in the set.
    func contains(_ id: String) -> Bool {
        var id = id
        return id.withUTF8 { bytes in
            let h = hash(UnsafeRawBufferPointer(bytes))
            return find(UnsafeRawBufferPointer(bytes), hash: h, in: shards[Self.shard(h)].slots).found
        }
    }

    private mutating func insert(_ id: UnsafeRawBufferPointer) -> Bool {
        let h = hash(id)
        let s = Self.shard(h)
        let (found, slot) = find(id, hash: h, in: shards[s].slots)
        if found { return false }
        let offset = append(id)
        shards[s].slots[slot] = Self.tag(h) << Self.offsetBits | (offset + 1)
        shards[s].count += 1
        count += 1
        if shards[s].count * 20 > shards[s].slots.count * 17 { grow(s) }
        return true
    }

    /// Where `id` is in `slots`, or the empty slot where it would go.
    private func find(_ id: UnsafeRawBufferPointer, hash h: UInt64, in slots: [UInt64]) -> (found: Bool, slot: Int) {
        let tag = Self.tag(h)
        let mask = slots.count - 1
        var i = Int(truncatingIfNeeded: h) & mask
        while true {
            let s = slots[i]
            if s == 0 { return (false, i) }
            if s >> Self.offsetBits == tag && equals(id, at: (s & Self.offsetMask) - 1) { return (true, i) }
            i = (i + 1) & mask
        }
    }

    private func hash(_ bytes: UnsafeRawBufferPointer) -> UInt64 {
        var hasher = hashSeed
        hasher.combine(bytes: bytes)
        return UInt64(bitPattern: Int64(hasher.finalize()))
    }

    /// The table of a hash: its top 8 bits. The slot: its low bits. The tag: 24 bits between.
    private static func shard(_ h: UInt64) -> Int { Int(h >> 56) }
    private static func tag(_ h: UInt64) -> UInt64 { (h >> 32) & 0xFF_FFFF }

    /// Whether the id stored at `offset` is `id`.
    private func equals(_ id: UnsafeRawBufferPointer, at offset: UInt64) -> Bool {
        let block = Int(offset) / Self.blockSize, start = Int(offset) % Self.blockSize
        return blocks[block].withUnsafeBufferPointer { b in
            let length = Int(b[start])
            guard length == id.count else { return false }
            return length == 0 || memcmp(b.baseAddress! + start + 1, id.baseAddress!, length) == 0
        }
    }

    /// Stores `id` (at most 255 bytes: ledger customer ids are at most 128) and returns its offset.
    private mutating func append(_ id: UnsafeRawBufferPointer) -> UInt64 {
        precondition(id.count <= 255, "customer ids are at most 128 bytes")
        if blocks.isEmpty || blocks[blocks.count - 1].count + 1 + id.count > Self.blockSize {
            var block: [UInt8] = []
            block.reserveCapacity(Self.blockSize)
            blocks.append(block)
        }
        let last = blocks.count - 1
        let offset = UInt64(last * Self.blockSize + blocks[last].count)
        blocks[last].append(UInt8(id.count))
        blocks[last].append(contentsOf: id)
        return offset
    }

    /// Doubles table `s` (the ids' bytes stay where they are).
    private mutating func grow(_ s: Int) {
        let old = shards[s].slots
        var slots = [UInt64](repeating: 0, count: old.count * 2)
        let mask = slots.count - 1
        for entry in old where entry != 0 {
            let offset = (entry & Self.offsetMask) - 1
            let block = Int(offset) / Self.blockSize, start = Int(offset) % Self.blockSize
            let h = blocks[block].withUnsafeBufferPointer { b in
                hash(UnsafeRawBufferPointer(start: b.baseAddress! + start + 1, count: Int(b[start])))
            }
            var i = Int(truncatingIfNeeded: h) & mask
            while slots[i] != 0 { i = (i + 1) & mask }
            slots[i] = entry
        }
        shards[s].slots = slots
    }
}
