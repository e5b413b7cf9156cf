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

    /// The point, after a note on standard error when it is a sequence number past the head of
    /// `ledger`'s log (a mistyped number, most likely): the answer is then the ledger as it stands.
    func point(in ledger: Ledger) -> AsOf? {
        guard case .sequence(let n)? = point, let head = try? ledger.head().sequence, n > head else { return point }
        Output.error("note: --as-of \(n) is past the ledger's last event (\(Format.grouped(Int(head)))): showing all it holds")
        return point
    }
}

