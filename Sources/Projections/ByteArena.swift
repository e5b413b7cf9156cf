/// Byte strings kept one after another in one buffer that doubles when full, each found again
/// by where it starts: the customer ids and store names the folds keep without a String (and an
/// allocation) each.
struct ByteArena: ~Copyable {
    /// The buffer; it moves when the arena grows, so hold offsets, not pointers into it.
    private(set) var base: UnsafeMutableRawPointer
    /// Bytes kept so far.
    private(set) var count = 0
    private var capacity: Int

    init(capacity: Int) {
        self.capacity = max(8, capacity)
        base = .allocate(byteCount: self.capacity, alignment: 8)
    }

    deinit { base.deallocate() }

    /// Keeps a copy of `bytes` and returns where it starts.
    @inline(__always)
    mutating func append(_ bytes: UnsafeRawBufferPointer) -> Int {
        let start = count
        if count + bytes.count > capacity { grow(toHold: count + bytes.count) }
        if let b = bytes.baseAddress, bytes.count > 0 { (base + count).copyMemory(from: b, byteCount: bytes.count) }
        count += bytes.count
        return start
    }

    /// Forgets every byte, going back to a buffer of `capacity` bytes.
    mutating func reset(capacity: Int) {
        base.deallocate()
        self.capacity = max(8, capacity)
        base = .allocate(byteCount: self.capacity, alignment: 8)
        count = 0
    }

    private mutating func grow(toHold needed: Int) {
        let grown = max(capacity * 2, needed)
        let bigger = UnsafeMutableRawPointer.allocate(byteCount: grown, alignment: 8)
        bigger.copyMemory(from: base, byteCount: count)
        base.deallocate()
        base = bigger
        capacity = grown
    }
}
