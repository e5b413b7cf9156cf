import Crypto
import POSImport

/// A receipt id made from a receipt's content, for exports that leave the id empty (Square's
/// transactions export after an Excel re-save).
///
/// The fingerprint hashes what the receipt *says* — kind, time, store, customer, currency, total,
/// payment, status, and each line — not the bytes of its row, so the same sale reads the same in
/// another export of an overlapping period even when that file was saved differently (quoting,
/// column order, `$1,149.00 ` or `1149.00`, line ends, encoding). Receipts that say exactly the
/// same thing (two $5 cash sales on one day, when the export gives no time) are told apart by their
/// order in the file: the n-th such receipt gets `-n` from the second on. An overlapping export
/// holding all of that day's receipts gives them the same ids; one cut in the middle of such a
/// run cannot be told apart from it by any means, and is counted by its occurrences.
public struct ReceiptFingerprint: Sendable {
    private var seen: [String: Int] = [:]

    /// A fingerprinter for one file (occurrences are counted per file).
    public init() {}

    /// `derived-` and 24 hex digits (96 bits of SHA-256) of the receipt's content, with `-n` for the
    /// n-th identical receipt of the file from the second on.
    public mutating func id(for receipt: ImportedReceipt, store: String) -> String {
        let base = "derived-" + Hex.string(Self.digest(receipt, store: store).prefix(12))
        let n = (seen[base] ?? 0) + 1
        seen[base] = n
        return n == 1 ? base : "\(base)-\(n)"
    }

    static func digest(_ r: ImportedReceipt, store: String) -> SHA256.Digest {
        var bytes: [UInt8] = []
        func put(_ s: String?) {
            guard let s else { bytes.append(0); return }
            bytes.append(1)
            let utf8 = Array(s.utf8)
            put(Int64(utf8.count))
            bytes += utf8
        }
        func put(_ n: Int64) { withUnsafeBytes(of: n.littleEndian) { bytes += $0 } }
        func put(_ n: Int64?) { if let n { bytes.append(1); put(n) } else { bytes.append(0) } }
        put(POSSystem(profile: r.profile).name)
        put(r.kind.rawValue)
        put(r.occurredAt.microseconds)
        put(Int64(r.occurredAt.offsetMinutes))
        put(store)
        put(r.customer?.externalId)
        put(r.currency)
        put(r.total)
        put(r.paymentType)
        put(r.sourceStatus)
        put(r.originalReceiptId)
        put(r.paymentReference)
        put(Int64(r.lines.count))
        for line in r.lines {
            put(line.sku)
            put(line.name)
            put(line.category)
            let q = line.quantity.normalized
            put(q.value)
            put(Int64(q.scale))
            put(line.unitPrice)
            put(line.discount)
            put(line.amount)
        }
        return SHA256.hash(data: bytes)
    }
}
