/// Writes a read model's stored record: a compact binary form (LEB128 varints, zigzag for signed
/// numbers, length-prefixed UTF-8), much cheaper to write and read than JSON. The layout is the
/// record type's own `encode` order; a change to it is a new projector version (the stored model
/// is then rebuilt), so no field tags or versions are kept in the bytes.
public struct RecordWriter {
    /// The bytes so far.
    public private(set) var bytes: [UInt8] = []

    public init() { bytes.reserveCapacity(256) }

    /// Forgets the bytes, keeping the capacity.
    public mutating func reset() { bytes.removeAll(keepingCapacity: true) }

    public mutating func unsigned(_ v: UInt64) {
        var v = v
        while v >= 0x80 {
            bytes.append(UInt8(truncatingIfNeeded: v) | 0x80)
            v >>= 7
        }
        bytes.append(UInt8(v))
    }

    public mutating func int(_ v: Int64) { unsigned(UInt64(bitPattern: (v << 1) ^ (v >> 63))) }
    public mutating func int(_ v: Int) { int(Int64(v)) }
    public mutating func bool(_ v: Bool) { bytes.append(v ? 1 : 0) }

    public mutating func int(_ v: Int64?) {
        if let v { bytes.append(1); int(v) } else { bytes.append(0) }
    }

    public mutating func string(_ s: String) {
        var s = s
        s.withUTF8 { u in
            unsigned(UInt64(u.count))
            bytes.append(contentsOf: u)
        }
    }

    public mutating func string(_ s: String?) {
        if let s { bytes.append(1); string(s) } else { bytes.append(0) }
    }

    public mutating func strings(_ a: [String]) {
        unsigned(UInt64(a.count))
        for s in a { string(s) }
    }

    public mutating func ints(_ a: [Int64]) {
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

    public init(_ bytes: UnsafeRawBufferPointer) { self.bytes = bytes }

    /// True when every byte was read and nothing failed.
    public var isComplete: Bool { !failed && at == bytes.count }

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

    public mutating func int() -> Int64 {
        let u = unsigned()
        return Int64(bitPattern: (u >> 1) ^ (0 &- (u & 1)))
    }

    public mutating func count() -> Int {
        let n = unsigned()
        guard n <= UInt64(bytes.count - at) else { failed = true; return 0 }
        return Int(n)
    }

    public mutating func bool() -> Bool {
        guard at < bytes.count else { failed = true; return false }
        at += 1
        return bytes[at - 1] != 0
    }

    public mutating func optionalInt() -> Int64? { bool() ? int() : nil }

    public mutating func string() -> String {
        let n = count()
        guard !failed else { return "" }
        defer { at += n }
        return String(decoding: UnsafeRawBufferPointer(rebasing: bytes[at..<(at + n)]), as: UTF8.self)
    }

    public mutating func optionalString() -> String? { bool() ? string() : nil }

    public mutating func strings() -> [String] {
        let n = count()
        var out: [String] = []
        out.reserveCapacity(n)
        for _ in 0..<n where !failed { out.append(string()) }
        return out
    }

    public mutating func ints() -> [Int64] {
        let n = count()
        var out: [Int64] = []
        out.reserveCapacity(n)
        for _ in 0..<n where !failed { out.append(int()) }
        return out
    }

    public mutating func map() -> [String: Int64] {
        let n = count()
        var out: [String: Int64] = [:]
        out.reserveCapacity(n)
        for _ in 0..<n where !failed { let k = string(); out[k] = int() }
        return out
    }
}
