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
        var value = value
        return String(decoding: value.withUTF8 { hex(utf8: UnsafeRawBufferPointer($0)) }, as: UTF8.self)
    }

    /// The pseudonym of the UTF-8 text `value`, as its 32 hex digits (for writers of many events).
    public func hex(utf8 value: UnsafeRawBufferPointer) -> [UInt8] {
        let mac = HMAC<SHA256>.authenticationCode(for: value, using: SymmetricKey(data: keyBytes))
        let digits: StaticString = "0123456789abcdef"
        return [UInt8](unsafeUninitializedCapacity: 32) { out, count in
            mac.withUnsafeBytes { bytes in
                for i in 0..<16 {
                    out[2 * i] = digits.utf8Start[Int(bytes[i] >> 4)]
                    out[2 * i + 1] = digits.utf8Start[Int(bytes[i] & 15)]
                }
            }
            count = 32
        }
    }
}
