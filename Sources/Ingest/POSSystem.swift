import Crypto

/// The point-of-sale system an export came from, as the ledger names it: in event sources
/// (`pos:<system>:<store>`) and in the ids of customers the export identifies by its own number
/// (`<system>:<id>`).
///
/// Both Square exports (items and transactions) are one system: they carry the same Transaction IDs,
/// so a sale read from either is the same sale.
public struct POSSystem: Sendable, Hashable, CustomStringConvertible {
    /// `shopify`, `square`, `uci`, `loyverse`, or `mapping:NAME` for a mapping file's POS.
    public let name: String

    /// The system of receipts read by `profile` (a `POSFileReader.profileName` / `ImportedReceipt.profile`).
    public init(profile: String) {
        switch profile {
        case "shopify": name = "shopify"
        case "square-items", "square-transactions": name = "square"
        case "uci-online-retail": name = "uci"
        case "loyverse": name = "loyverse"
        default: name = profile
        }
    }

    public var description: String { name }

    /// The event source for receipts of `store`: `pos:<system>:<store>`. When that would pass the
    /// ledger's 64-byte limit, the store is replaced by `#` and the first 16 hex digits of its SHA-256,
    /// which is as stable as the name itself.
    public func source(store: String) -> String {
        let plain = "pos:\(name):\(store)"
        if plain.utf8.count <= 64 { return plain }
        let digest = SHA256.hash(data: Array(store.utf8))
        return "pos:\(name):#" + Hex.string(digest.prefix(8))
    }
}

/// Lower-case hexadecimal text of bytes.
enum Hex {
    private static let digits = Array("0123456789abcdef".utf8)

    static func string(_ bytes: some Sequence<UInt8>) -> String {
        var out: [UInt8] = []
        for b in bytes {
            out.append(digits[Int(b >> 4)])
            out.append(digits[Int(b & 15)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}
