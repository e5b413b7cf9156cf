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

