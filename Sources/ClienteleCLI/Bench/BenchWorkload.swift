import Ledger

/// Events shaped like the C baseline's (../shared/bench/lmdb_limit.c): customer random of
/// 100,000, type of 12, store of 20, actor of 200, occurred-at rising, a random 16-byte
/// external id, and a JSON payload of a chosen size. Deterministic for a seed.
struct BenchWorkload {
    let payloadBytes: Int
    private var state: UInt64
    private var clock: Int64 = 1_767_225_600_000_000 // 2026-01-01T00:00:00Z
    private let types = ["CustomerRegistered", "VisitRecorded", "PurchaseRecorded", "ReturnRecorded",
                         "PointsEarned", "PointsRedeemed", "ComplaintFiled", "ComplaintAcknowledged",
                         "ComplaintResolved", "CallbackLogged", "CareContactMade", "ConsentGranted"]
    private let payload: [UInt8]

    init(payloadBytes: Int, seed: UInt64 = 88_172_645_463_325_252) {
        self.payloadBytes = payloadBytes
        self.state = seed
        // {"note":"xxxx…"} padded to exactly payloadBytes (at least the braces and member).
        let frame = Array("{\"note\":\"\"}".utf8)
        let fill = max(0, payloadBytes - frame.count)
        payload = Array("{\"note\":\"".utf8) + [UInt8](repeating: UInt8(ascii: "x"), count: fill) + Array("\"}".utf8)
    }

    /// xorshift64, as in the baseline.
    private mutating func next() -> UInt64 {
        state ^= state << 13
        state ^= state >> 7
        state ^= state << 17
        return state
    }

    private static let hex = Array("0123456789abcdef".utf8)

    /// The next event.
    mutating func event() -> NewEvent {
        clock += 1_000_000
        let customer = "C" + String(next() % 100_000)
        let type = types[Int(next() % 12)]
        let store = "S" + String(next() % 20)
        let actor = "staff-" + String(next() % 200)
        var ext = [UInt8](repeating: 0, count: 32)
        let a = next(), b = next()
        for i in 0..<16 {
            let word = i < 8 ? a : b
            let byte = UInt8(truncatingIfNeeded: word >> (UInt64(i % 8) * 8))
            ext[2 * i] = BenchWorkload.hex[Int(byte >> 4)]
            ext[2 * i + 1] = BenchWorkload.hex[Int(byte & 15)]
        }
        return NewEvent(type: type, customer: customer, store: store, actor: actor, channel: "pos",
                        occurredAt: Timestamp(microseconds: clock, offsetMinutes: 480),
                        source: SourceReference(source: "bench", externalId: String(decoding: ext, as: UTF8.self)),
                        payload: payload)
    }

    /// The next `n` events.
    mutating func events(_ n: Int) -> [NewEvent] {
        var out: [NewEvent] = []
        out.reserveCapacity(n)
        for _ in 0..<n { out.append(event()) }
        return out
    }
}
