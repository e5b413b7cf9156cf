#if canImport(Glibc)
import Glibc
#endif

/// The customers an ingest has seen so far: an exact set of ids in about 20–30 bytes per id.
///
/// A run registers each customer at the first receipt it reads of them, so it must remember
/// every id it met: 1.8 million at 10 million lines. `Set<String>` holds them in 16-byte slots at
/// most three-quarters full and, when it grows, keeps the old table and the new one (twice as
/// large) at once: about 100 MB at that size. Here the ids' bytes go one after the other into
/// 1 MiB blocks, and an open-addressing table of 8-byte slots (a 24-bit tag of the hash and the
/// id's offset) points at them: about 55 MB at the same size, 70 MB while the table grows.
///
/// Not thread-safe.
struct SeenCustomers {
    private var slots: [UInt64]
    private var mask: Int
    private var blocks: [[UInt8]] = []
    private let hashSeed = Hasher()
    /// Ids in the set.
    private(set) var count = 0

    static let blockSize = 1 << 20
    private static let offsetBits: UInt64 = 40
    private static let offsetMask: UInt64 = (1 << offsetBits) - 1

    /// An empty set with room for about `capacity` ids before it grows.
    init(capacity: Int = 1024) {
        var size = 16
        while size * 3 / 4 < capacity { size *= 2 }
        slots = Array(repeating: 0, count: size)
        mask = size - 1
    }

    /// Adds `id`; returns true when it was not in the set.
    /// - Complexity: O(length of `id`) on average.
    mutating func insert(_ id: String) -> Bool {
        var id = id
        return id.withUTF8 { insert(UnsafeRawBufferPointer($0)) }
    }

    /// Whether `id` is in the set.
    func contains(_ id: String) -> Bool {
        var id = id
        return id.withUTF8 { find(UnsafeRawBufferPointer($0), hash: hash($0)).found }
    }

    private mutating func insert(_ id: UnsafeRawBufferPointer) -> Bool {
        let h = hash(id)
        let (found, slot) = find(id, hash: h)
        if found { return false }
        let offset = append(id)
        slots[slot] = Self.tag(h) << Self.offsetBits | (offset + 1)
        count += 1
        if count > slots.count * 3 / 4 { grow() }
        return true
    }

    /// Where `id` is, or the empty slot where it would go.
    private func find(_ id: UnsafeRawBufferPointer, hash h: Int) -> (found: Bool, slot: Int) {
        let tag = Self.tag(h)
        var i = h & mask
        while true {
            let s = slots[i]
            if s == 0 { return (false, i) }
            if s >> Self.offsetBits == tag && equals(id, at: (s & Self.offsetMask) - 1) { return (true, i) }
            i = (i + 1) & mask
        }
    }

    private func hash(_ bytes: UnsafeBufferPointer<UInt8>) -> Int { hash(UnsafeRawBufferPointer(bytes)) }

    private func hash(_ bytes: UnsafeRawBufferPointer) -> Int {
        var hasher = hashSeed
        hasher.combine(bytes: bytes)
        return hasher.finalize()
    }

    private static func tag(_ h: Int) -> UInt64 { UInt64(UInt(bitPattern: h) >> (UInt(Int.bitWidth) - 24)) }

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

    /// Doubles the table (the ids' bytes stay where they are).
    private mutating func grow() {
        let old = slots
        slots = []
        slots = Array(repeating: 0, count: old.count * 2)
        mask = slots.count - 1
        for s in old where s != 0 {
            let offset = (s & Self.offsetMask) - 1
            let block = Int(offset) / Self.blockSize, start = Int(offset) % Self.blockSize
            let h = blocks[block].withUnsafeBufferPointer { b in
                hash(UnsafeRawBufferPointer(start: b.baseAddress! + start + 1, count: Int(b[start])))
            }
            var i = h & mask
            while slots[i] != 0 { i = (i + 1) & mask }
            slots[i] = s
        }
    }
}
