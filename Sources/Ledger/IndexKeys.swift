import Crypto
#if canImport(Glibc)
import Glibc
#endif

/// Builds the keys of the log and its indexes into one reusable buffer, so the hot paths allocate nothing.
///
///     log          BE u64 sequence                                   → envelope ‖ hash
///     by_customer  u8 len ‖ customer ‖ BE u32 stream version         → BE u64 sequence
///     by_type      u8 len ‖ type ‖ BE u64 sequence                   → (empty)
///     by_store     u8 len ‖ store ‖ BE u64 sequence                  → (empty)
///     by_actor     u8 len ‖ actor ‖ BE u64 sequence                  → (empty)
///     by_time      BE u64 (occurred µs with its sign bit flipped) ‖ BE u64 sequence → (empty)
///     by_source    source tag ‖ u8 len ‖ external id                  → BE u64 sequence
///                  (external ids of up to 80 bytes; longer ones:)
///                  source tag ‖ 0xFF ‖ first 16 bytes of SHA-256(u8 len ‖ source ‖ external id)
///
///     source tag = first 8 bytes of SHA-256(u8 len ‖ source)
///
/// The length prefix keeps `C1` and `C10` apart; big-endian numbers make byte order numeric order.
/// by_source keeps the external id itself after a short tag of its source, so that ids a POS
/// hands out in rising order (receipt numbers) land next to each other at the end of their
/// source's range: a bulk load then changes a few index pages per transaction instead of one
/// page per event, as random keys did (format 1 hashed the whole reference). The length prefix
/// orders decimal ids numerically (`9999` before `10000`) and keeps the hashed form (0xFF)
/// apart from the plain one.
struct KeyBuffer: ~Copyable {
    let base: UnsafeMutableRawPointer
    static let capacity = 1024 + 80

    init() {
        base = .allocate(byteCount: KeyBuffer.capacity, alignment: 8)
        base.storeBytes(of: UInt8.max, toByteOffset: KeyBuffer.sourceCache, as: UInt8.self)
    }
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

    /// The by_source key of `source` (see the layout above).
    @inline(__always)
    func sourceKey(_ source: SourceReference) -> UnsafeRawBufferPointer {
        var name = source.source
        var ext = source.externalId
        return name.withUTF8 { n in
            ext.withUTF8 { e in sourceKey(UnsafeRawBufferPointer(n), UnsafeRawBufferPointer(e)) }
        }
    }

    /// The by_source key of the source `source` and the external id `externalId` (UTF-8 bytes).
    @inline(__always)
    func sourceKey(_ source: UnsafeRawBufferPointer, _ externalId: UnsafeRawBufferPointer) -> UnsafeRawBufferPointer {
        putSourceTag(source)
        if externalId.count <= KeyBuffer.plainExternalId {
            let end = putPrefixed(externalId, at: 8)
            return bytes(end)
        }
        let digest = KeyBuffer.sha256(prefixed: source, then: externalId)
        base.storeBytes(of: UInt8.max, toByteOffset: 8, as: UInt8.self)
        digest.withUnsafeBytes { d in (base + 9).copyMemory(from: d.baseAddress!, byteCount: 16) }
        return bytes(25)
    }

    /// External ids up to this many bytes stand in by_source as they are; longer ones are hashed.
    static let plainExternalId = 80

    /// The last source tagged and its tag: `u8 len (0xFF: none) ‖ source (≤ 64 bytes) ‖ 8-byte tag`,
    /// so that a batch from one source hashes its name once.
    static let sourceCache = 1024

    /// Writes the 8-byte tag of `source` at the start of the key.
    @inline(__always)
    private func putSourceTag(_ source: UnsafeRawBufferPointer) {
        let cache = base + KeyBuffer.sourceCache
        let tag = cache + 1 + 64
        let cached = cache.load(as: UInt8.self)
        let hit = source.count <= 64 && Int(cached) == source.count
            && (source.count == 0 || memcmp(cache + 1, source.baseAddress!, source.count) == 0)
        if !hit {
            let digest = KeyBuffer.sha256(prefixed: source, then: UnsafeRawBufferPointer(start: nil, count: 0))
            digest.withUnsafeBytes { d in tag.copyMemory(from: d.baseAddress!, byteCount: 8) }
            if source.count <= 64 {
                if source.count > 0 { (cache + 1).copyMemory(from: source.baseAddress!, byteCount: source.count) }
                cache.storeBytes(of: UInt8(source.count), as: UInt8.self)
            } else {
                cache.storeBytes(of: UInt8.max, as: UInt8.self)
            }
        }
        base.copyMemory(from: tag, byteCount: 8)
    }

    /// SHA-256(u8 len ‖ `first` ‖ `second`), the lengths as stored (a damaged record may carry any).
    private static func sha256(prefixed first: UnsafeRawBufferPointer, then second: UnsafeRawBufferPointer) -> SHA256Digest {
        var hasher = SHA256()
        var length = UInt8(truncatingIfNeeded: first.count)
        withUnsafeBytes(of: &length) { hasher.update(bufferPointer: $0) }
        hasher.update(bufferPointer: first)
        if second.count > 0 { hasher.update(bufferPointer: second) }
        return hasher.finalize()
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
