import Crypto

/// Stable pseudonyms for personal identifiers (an email address, a phone number) that must key a
/// customer's stream without appearing in the log: HMAC-SHA256 under a key derived from the
/// master key for one purpose, so the same identifier always gives the same pseudonym with the
/// same master key, and nobody without that key can test guesses against it.
public struct Pseudonymizer: Sendable {
    private let keyBytes: [UInt8]

    /// A pseudonymizer for `purpose` (e.g. `pos-customer`): different purposes give unrelated pseudonyms.
    public init(masterKey: MasterKey, purpose: String) {
        let key = HKDF<SHA256>.deriveKey(inputKeyMaterial: masterKey.key, info: Array("clientele pseudonym v1: \(purpose)".utf8),
                                         outputByteCount: 32)
        keyBytes = key.withUnsafeBytes { Array($0) }
    }

    /// The pseudonym of `value`: 32 lower-case hex digits (the first 128 bits of the HMAC).
    public func callAsFunction(_ value: String) -> String {
        let mac = HMAC<SHA256>.authenticationCode(for: Array(value.utf8), using: SymmetricKey(data: keyBytes))
        let hex = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        out.reserveCapacity(32)
        for byte in mac.prefix(16) {
            out.append(hex[Int(byte >> 4)])
            out.append(hex[Int(byte & 15)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}
