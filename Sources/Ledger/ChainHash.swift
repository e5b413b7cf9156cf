import Crypto

/// A SHA-256 digest in the hash chain: each event's hash covers the previous hash and the event's bytes.
public struct ChainHash: Sendable, Hashable, CustomStringConvertible {
    // Four words, so that it is a plain value with no allocation.
    var w0: UInt64, w1: UInt64, w2: UInt64, w3: UInt64

    /// The hash before the first event: 32 zero bytes.
    public static let genesis = ChainHash(w0: 0, w1: 0, w2: 0, w3: 0)

    /// Reads 32 bytes.
    @inline(__always)
    public init(bytes: UnsafeRawBufferPointer) {
        precondition(bytes.count >= 32)
        w0 = bytes.loadUnaligned(fromByteOffset: 0, as: UInt64.self)
        w1 = bytes.loadUnaligned(fromByteOffset: 8, as: UInt64.self)
        w2 = bytes.loadUnaligned(fromByteOffset: 16, as: UInt64.self)
        w3 = bytes.loadUnaligned(fromByteOffset: 24, as: UInt64.self)
    }

    init(w0: UInt64, w1: UInt64, w2: UInt64, w3: UInt64) {
        self.w0 = w0; self.w1 = w1; self.w2 = w2; self.w3 = w3
    }

    /// SHA-256(previous ‖ event bytes).
    @inline(__always)
    public static func link(previous: ChainHash, event: UnsafeRawBufferPointer) -> ChainHash {
        var hasher = SHA256()
        withUnsafeBytes(of: previous) { hasher.update(bufferPointer: $0) }
        hasher.update(bufferPointer: event)
        let digest = hasher.finalize()
        return digest.withUnsafeBytes { ChainHash(bytes: $0) }
    }

    /// Writes the 32 bytes at the start of `out`.
    @inline(__always)
    public func store(into out: UnsafeMutableRawBufferPointer) {
        out.storeBytes(of: w0, toByteOffset: 0, as: UInt64.self)
        out.storeBytes(of: w1, toByteOffset: 8, as: UInt64.self)
        out.storeBytes(of: w2, toByteOffset: 16, as: UInt64.self)
        out.storeBytes(of: w3, toByteOffset: 24, as: UInt64.self)
    }

    /// Appends the lower-case hex to `out`, with no String made (for writers of many events).
    @inline(__always)
    public func writeHex(into out: inout [UInt8]) {
        withUnsafeBytes(of: self) { raw in
            for b in raw {
                out.append(ChainHash.hexDigits[Int(b >> 4)])
                out.append(ChainHash.hexDigits[Int(b & 15)])
            }
        }
    }

    static let hexDigits: [UInt8] = Array("0123456789abcdef".utf8)

    /// Lower-case hex, as `sha256sum` prints it.
    public var description: String {
        var out: [UInt8] = []
        out.reserveCapacity(64)
        writeHex(into: &out)
        return String(decoding: out, as: UTF8.self)
    }
}
