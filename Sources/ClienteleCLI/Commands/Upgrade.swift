import Access
import ArgumentParser
import CustomerEvents
import Ledger

extension Clientele {
    /// `clientele upgrade`: brings a ledger written by an earlier version to this version's format.
    struct Upgrade: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Bring a ledger written by an earlier version to this version's format.",
            discussion: reflow("""
                Rebuilds the indexes whose layout changed from the log; the log itself is read and never \
                changed (docs/log-format.md, "Formats"). Run it once, with no other process using the \
                ledger. If it is interrupted, the ledger stays refused until it is run again, which \
                starts over. Does nothing to a ledger already in this version's format.
                """))

        @OptionGroup var options: DatabaseOptions

        func run() async throws {
            _ = try options.authorize(.administer)
            var open = LedgerOptions()
            open.upgrade = true
            open.observationTypes = CustomerLedger.observationTypes
            let ledger = try Ledger(path: options.db, options: open)
            defer { ledger.close() }
            if let done = ledger.upgraded {
                var what: [String] = []
                if done.events > 0 || done.sourceEntries > 0 {
                    what.append("by_source rebuilt from \(Format.grouped(done.events)) events (\(Format.grouped(done.sourceEntries)) entries)")
                }
                what.append("access records from event \(Format.grouped(Int(done.observationsFrom))) on are kept out of the customers' streams")
                Output.line("Upgraded \(options.db) from '\(done.from)' to '\(done.to)' in \(Format.fixed(done.seconds, 1)) s: "
                    + what.joined(separator: "; ") + ". Check it with `clientele verify`.")
            } else {
                Output.line("\(options.db) is in format '\(Ledger.formatTag)' already; nothing changed.")
            }
        }
    }
}
