/// Writes a read model's stored record: a compact binary form (LEB128 varints, zigzag for signed
/// numbers, length-prefixed UTF-8), much cheaper to write and read than JSON. The layout is the
/// record type's own `encode` order; a change to it is a new projector version (the stored model
/// is then rebuilt), so no field tags or versions are kept in the bytes.
public struct RecordWriter: ~Copyable {
    // The bytes, in a buffer of our own: each field is written through a pointer after one check
    // for room (an array checked its capacity and uniqueness for every byte appended, which was
    // much of a rebuild's encoding time). Not copyable, so that no field needs a check that the
    // buffer is not shared (which was ~3 % of the writing phase's samples).
    private var base: UnsafeMutablePointer<UInt8>
    private var capacity: Int
    /// How many bytes so far.
    public private(set) var count = 0

    /// The bytes so far (a copy: `withBytes` lends them without one).
    public var bytes: [UInt8] { Array(UnsafeBufferPointer(start: base, count: count)) }
    /// Lends the bytes so far (valid only inside `body`).
    public func withBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try body(UnsafeRawBufferPointer(start: base, count: count))
    }

    /// An empty writer.
    public init() {
        capacity = 256
        base = .allocate(capacity: capacity)
    }

    deinit { base.deallocate() }

    /// Forgets the bytes, keeping the capacity.
    public mutating func reset() { count = 0 }

    /// Where the next `n` bytes go, once there is room for them (the caller then adds `n` at
    /// most to `count`).
    @inline(__always)
    private mutating func room(_ n: Int) -> UnsafeMutablePointer<UInt8> {
        if count + n > capacity { grow(toHold: count + n) }
        return base + count
    }

    private mutating func grow(toHold needed: Int) {
        let capacity = max(needed, self.capacity * 2)
        let bigger = UnsafeMutablePointer<UInt8>.allocate(capacity: capacity)
        bigger.update(from: base, count: count)
        base.deallocate()
        base = bigger
        self.capacity = capacity
    }

    /// One byte.
    @inline(__always)
    private mutating func byte(_ b: UInt8) {
        room(1).pointee = b
        count += 1
    }

    /// An unsigned LEB128 varint.
    @inline(__always)
    public mutating func unsigned(_ v: UInt64) {
        // Most numbers a record holds (counts, flags, small amounts) take one byte.
        if v < 0x80 { byte(UInt8(truncatingIfNeeded: v)); return }
        let p = room(10)
        var v = v, n = 0
        while v >= 0x80 {
            p[n] = UInt8(truncatingIfNeeded: v) | 0x80
            v >>= 7
            n += 1
        }
        p[n] = UInt8(v)
        count += n + 1
    }

    /// Bytes as they are (no length: the caller knows where they end).
    public mutating func raw(_ b: UnsafeRawBufferPointer) {
        guard let from = b.baseAddress, b.count > 0 else { return }
        UnsafeMutableRawPointer(room(b.count)).copyMemory(from: from, byteCount: b.count)
        count += b.count
    }

    /// A signed number (zigzag, then varint).
    public mutating func int(_ v: Int64) { unsigned(UInt64(bitPattern: (v << 1) ^ (v >> 63))) }
    /// A signed number.
    public mutating func int(_ v: Int) { int(Int64(v)) }
    /// One byte, 1 or 0.
    public mutating func bool(_ v: Bool) { byte(v ? 1 : 0) }

    /// A presence byte, then the number if present.
    public mutating func int(_ v: Int64?) {
        if let v { byte(1); int(v) } else { byte(0) }
    }

    /// The UTF-8 length, then the bytes.
    public mutating func string(_ s: String) {
        // Native and small strings lend their UTF-8 without a copy; others are made contiguous.
        let lent: Void? = s.utf8.withContiguousStorageIfAvailable { u in
            unsigned(UInt64(u.count))
            raw(UnsafeRawBufferPointer(u))
        }
        if lent != nil { return }
        var s = s
        s.withUTF8 { u in
            unsigned(UInt64(u.count))
            raw(UnsafeRawBufferPointer(u))
        }
    }

    /// A presence byte, then the string if present.
    public mutating func string(_ s: String?) {
        if let s { byte(1); string(s) } else { byte(0) }
    }

    /// The count, then each string.
    public mutating func strings<C: Collection<String>>(_ a: C) {
        unsigned(UInt64(a.count))
        for s in a { string(s) }
    }

    /// The count, then each number.
    public mutating func ints<C: Collection<Int64>>(_ a: C) {
        unsigned(UInt64(a.count))
        for v in a { int(v) }
    }

    /// A string-keyed map, in key order so the bytes do not depend on hashing.
    public mutating func map(_ m: [String: Int64]) {
        unsigned(UInt64(m.count))
        for k in m.keys.sorted() { string(k); int(m[k]!) }
    }
}

/// Reads what `RecordWriter` wrote; any read past the end or malformed value makes `failed` true
/// (the record is then reported damaged, and `clientele rebuild` fixes it).
public struct RecordReader {
    let bytes: UnsafeRawBufferPointer
    var at = 0
    /// True once a read went past the end or found a malformed value.
    public private(set) var failed = false

    /// A reader at the start of `bytes` (valid while they are).
    public init(_ bytes: UnsafeRawBufferPointer) { self.bytes = bytes }

    /// True when every byte was read and nothing failed.
    public var isComplete: Bool { !failed && at == bytes.count }

    /// An unsigned varint.
    public mutating func unsigned() -> UInt64 {
        var v: UInt64 = 0
        var shift: UInt64 = 0
        while at < bytes.count, shift < 64 {
            let b = bytes[at]
            at += 1
            v |= UInt64(b & 0x7F) << shift
            if b < 0x80 { return v }
            shift += 7
        }
        failed = true
        return 0
    }

    /// A signed number.
    public mutating func int() -> Int64 {
        let u = unsigned()
        return Int64(bitPattern: (u >> 1) ^ (0 &- (u & 1)))
    }

    /// A count or length, refused (failed) when more than the bytes left could hold.
    public mutating func count() -> Int {
        let n = unsigned()
        guard n <= UInt64(bytes.count - at) else { failed = true; return 0 }
        return Int(n)
    }

    /// One byte as a Bool.
    public mutating func bool() -> Bool {
        guard at < bytes.count else { failed = true; return false }
        at += 1
        return bytes[at - 1] != 0
    }

    /// What `int(_: Int64?)` wrote.
    public mutating func optionalInt() -> Int64? { bool() ? int() : nil }

    /// A length-prefixed string.
    public mutating func string() -> String {
        let n = count()
        guard !failed else { return "" }
        defer { at += n }
        return String(decoding: UnsafeRawBufferPointer(rebasing: bytes[at..<(at + n)]), as: UTF8.self)
    }

    /// What `string(_: String?)` wrote.
    public mutating func optionalString() -> String? { bool() ? string() : nil }

    /// What `strings(_:)` wrote, as an array or a `SmallList`.
    public mutating func strings<C: RangeReplaceableCollection<String>>() -> C {
        let n = count()
        var out = C()
        out.reserveCapacity(n)
        for _ in 0..<n where !failed { out.append(string()) }
        return out
    }

    /// What `ints(_:)` wrote, as an array or a `SmallList`.
    public mutating func ints<C: RangeReplaceableCollection<Int64>>() -> C {
        let n = count()
        var out = C()
        out.reserveCapacity(n)
        for _ in 0..<n where !failed { out.append(int()) }
        return out
    }

    /// Passes over a length-prefixed string without making it.
    public mutating func skipString() {
        let n = count()
        if !failed { at += n }
    }

    /// Passes over what `string(_: String?)` wrote.
    public mutating func skipOptionalString() { if bool() { skipString() } }

    /// Passes over what `strings(_:)` wrote.
    /// - Returns: how many strings there were.
    @discardableResult
    public mutating func skipStrings() -> Int {
        let n = count()
        for _ in 0..<n where !failed { skipString() }
        return n
    }

    /// Passes over what `map(_:)` wrote.
    public mutating func skipMap() {
        let n = count()
        for _ in 0..<n where !failed { skipString(); _ = unsigned() }
    }

    /// What `map(_:)` wrote.
    public mutating func map() -> [String: Int64] {
        let n = count()
        var out: [String: Int64] = [:]
        out.reserveCapacity(n)
        for _ in 0..<n where !failed { let k = string(); out[k] = int() }
        return out
    }
}
