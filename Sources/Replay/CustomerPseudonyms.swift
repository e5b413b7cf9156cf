import CustomerEvents

/// Customer ids as analysts see them: a keyed hash (HMAC-SHA256 under a key derived from the
/// master key for this one purpose, first 128 bits in hex) — the same id gives the same pseudonym
/// in every run with the same master key, and nobody without the key can test a guess against it.
/// Remembers the pseudonyms it made, so each customer costs one HMAC per run.
public struct CustomerPseudonyms {
    private let hash: Pseudonymizer
    private var made: [String: [UInt8]] = [:]

    /// The purpose the key is derived for; a different purpose gives unrelated pseudonyms.
    public static let purpose = "replay-customer"

    public init(masterKey: MasterKey) {
        hash = Pseudonymizer(masterKey: masterKey, purpose: CustomerPseudonyms.purpose)
    }

    /// The pseudonym of the customer whose id is these UTF-8 bytes, as UTF-8 bytes (not
    /// remembered: the caller keeps its own table).
    public func pseudonym(utf8 id: UnsafeRawBufferPointer) -> [UInt8] {
        hash.hex(utf8: id)
    }

    /// The pseudonym of `id`.
    public mutating func pseudonym(_ id: String) -> String {
        if let p = made[id] { return String(decoding: p, as: UTF8.self) }
        let p = hash(id)
        made[id] = Array(p.utf8)
        return p
    }
}
