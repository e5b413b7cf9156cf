import Crypto

/// Builds the keys of the log and its indexes into one reusable buffer, so the hot paths allocate nothing.
///
///     log          BE u64 sequence                                   → envelope ‖ hash
///     by_customer  u8 len ‖ customer ‖ BE u32 stream version         → BE u64 sequence
///     by_type      u8 len ‖ type ‖ BE u64 sequence                   → (empty)
///     by_store     u8 len ‖ store ‖ BE u64 sequence                  → (empty)
///     by_actor     u8 len ‖ actor ‖ BE u64 sequence                  → (empty)
///     by_time      BE u64 (occurred µs with its sign bit flipped) ‖ BE u64 sequence → (empty)
///     by_source    first 16 bytes of SHA-256(u8 len ‖ source ‖ external id) → BE u64 sequence
///
/// The length prefix keeps `C1` and `C10` apart; big-endian numbers make byte order numeric order.
/// Source references are hashed: their keys are random anyway, and 16 fixed bytes keep the
/// index compact however long a POS makes its ids.
struct KeyBuffer: ~Copyable {
    let base: UnsafeMutableRawPointer
    static let capacity = 1024

    init() { base = .allocate(byteCount: KeyBuffer.capacity, alignment: 8) }
    deinit { base.deallocate() }

    @inline(__always)
    func bytes(_ count: Int) -> UnsafeRawBufferPointer { UnsafeRawBufferPointer(start: base, count: count) }

    @inline(__always)
    func putBE64(_ v: UInt64, at offset: Int) { base.storeBytes(of: v.bigEndian, toByteOffset: offset, as: UInt64.self) }

    @inline(__always)
    func putBE32(_ v: UInt32, at offset: Int) { base.storeBytes(of: v.bigEndian, toByteOffset: offset, as: UInt32.self) }

    @inline(__always)
    func putBytes(_ b: UnsafeRawBufferPointer, at offset: Int) {
        if b.count > 0 { (base + offset).copyMemory(from: b.baseAddress!, byteCount: b.count) }
    }

    @inline(__always)
    func putString(_ s: String, at offset: Int) -> Int {
        var s = s
        return s.withUTF8 { u in
            base.storeBytes(of: UInt8(u.count), toByteOffset: offset, as: UInt8.self)
            if u.count > 0 { (base + offset + 1).copyMemory(from: u.baseAddress!, byteCount: u.count) }
            return offset + 1 + u.count
        }
    }

    @inline(__always)
    func putPrefixed(_ b: UnsafeRawBufferPointer, at offset: Int) -> Int {
        base.storeBytes(of: UInt8(b.count), toByteOffset: offset, as: UInt8.self)
        putBytes(b, at: offset + 1)
        return offset + 1 + b.count
    }

    /// The log key of `sequence`.
    @inline(__always)
    func sequenceKey(_ sequence: UInt64) -> UnsafeRawBufferPointer {
        putBE64(sequence, at: 0)
        return bytes(8)
    }

    /// `u8 len ‖ name ‖ BE u64 sequence` (by_type, by_store, by_actor).
    @inline(__always)
    func nameKey(_ name: String, sequence: UInt64) -> UnsafeRawBufferPointer {
        let end = putString(name, at: 0)
        putBE64(sequence, at: end)
        return bytes(end + 8)
    }

    @inline(__always)
    func nameKey(_ name: UnsafeRawBufferPointer, sequence: UInt64) -> UnsafeRawBufferPointer {
        let end = putPrefixed(name, at: 0)
        putBE64(sequence, at: end)
        return bytes(end + 8)
    }

    /// `u8 len ‖ customer ‖ BE u32 version` (by_customer).
    @inline(__always)
    func customerKey(_ customer: String, version: UInt32) -> UnsafeRawBufferPointer {
        let end = putString(customer, at: 0)
        putBE32(version, at: end)
        return bytes(end + 4)
    }

    @inline(__always)
    func customerKey(_ customer: UnsafeRawBufferPointer, version: UInt32) -> UnsafeRawBufferPointer {
        let end = putPrefixed(customer, at: 0)
        putBE32(version, at: end)
        return bytes(end + 4)
    }

    /// `BE u64 biased µs ‖ BE u64 sequence` (by_time).
    @inline(__always)
    func timeKey(_ microseconds: Int64, sequence: UInt64) -> UnsafeRawBufferPointer {
        putBE64(KeyBuffer.biased(microseconds), at: 0)
        putBE64(sequence, at: 8)
        return bytes(16)
    }

    /// The by_source key: SHA-256(u8 len ‖ source ‖ external id), first 16 bytes.
    @inline(__always)
    func sourceKey(_ source: SourceReference) -> UnsafeRawBufferPointer {
        var end = putString(source.source, at: KeyBuffer.scratch)
        var ext = source.externalId
        ext.withUTF8 { u in putBytes(UnsafeRawBufferPointer(u), at: end); end += u.count }
        return digestKey(count: end - KeyBuffer.scratch)
    }

    @inline(__always)
    func sourceKey(_ source: UnsafeRawBufferPointer, _ externalId: UnsafeRawBufferPointer) -> UnsafeRawBufferPointer {
        let end = putPrefixed(source, at: KeyBuffer.scratch)
        putBytes(externalId, at: end)
        return digestKey(count: end + externalId.count - KeyBuffer.scratch)
    }

    /// Where plain bytes are assembled before hashing (after the longest key).
    static let scratch = 512

    @inline(__always)
    private func digestKey(count: Int) -> UnsafeRawBufferPointer {
        var hasher = SHA256()
        hasher.update(bufferPointer: UnsafeRawBufferPointer(start: base + KeyBuffer.scratch, count: count))
        let digest = hasher.finalize()
        digest.withUnsafeBytes { d in base.copyMemory(from: d.baseAddress!, byteCount: 16) }
        return bytes(16)
    }

    /// Signed microseconds to an unsigned number with the same order.
    @inline(__always)
    static func biased(_ microseconds: Int64) -> UInt64 { UInt64(bitPattern: microseconds) ^ (1 << 63) }
}

/// Reads a big-endian UInt64 from the start of `b`.
@inline(__always)
func readBE64(_ b: UnsafeRawBufferPointer, at offset: Int = 0) -> UInt64 {
    UInt64(bigEndian: b.loadUnaligned(fromByteOffset: offset, as: UInt64.self))
}

/// Reads a big-endian UInt32.
@inline(__always)
func readBE32(_ b: UnsafeRawBufferPointer, at offset: Int) -> UInt32 {
    UInt32(bigEndian: b.loadUnaligned(fromByteOffset: offset, as: UInt32.self))
}
