import ArgumentParser
import Ledger
import Projections

/// `--as-of TIME|SEQ`, shared by the commands that read a model in the past.
struct AsOfOptions: ParsableArguments {
    @Option(name: .customLong("as-of"), help: "A past time (RFC 3339, business time) or sequence number (what the ledger knew then).")
    var text: String?

    func validate() throws {
        if let text, AsOf(text) == nil { throw ValidationError("--as-of must be an RFC 3339 time with a zone or a sequence number") }
    }

    var point: AsOf? { text.flatMap(AsOf.init) }
}

extension ProjectionStore {
    /// Every record of `projector`'s model — live, or folded as of `point` — and the moment it
    /// describes (now, the given time, or when the given event was recorded).
    func snapshot<P: KeyedProjector>(_ projector: P, asOf point: AsOf?) throws -> (records: [(String, P.Record)], now: Timestamp) {
        guard let point else {
            var out: [(String, P.Record)] = []
            try records(projector) { k, r in out.append((k, r)); return true }
            return (out, Timestamp.now())
        }
        let folded = try fold(projector, asOf: point).map { ($0.key, $0.value) }
        switch point {
        case .time(let t): return (folded, t)
        case .sequence(let n): return (folded, try ledger.ledger.event(n)?.recordedAt ?? Timestamp.now())
        }
    }
}
