import Access
import ArgumentParser
import CustomerEvents
import Ledger

extension Clientele {
    /// `clientele init`: creates an empty ledger.
    struct Init: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create an empty ledger (does nothing to one that exists).")

        @OptionGroup var options: DatabaseOptions

        func run() async throws {
            _ = try options.authorize(.administer)
            var open = LedgerOptions()
            open.create = true
            open.observationTypes = CustomerLedger.observationTypes // access records count as observations from event 1
            let existed = (try? Ledger(path: options.db).close()) != nil
            let ledger = try Ledger(path: options.db, options: open)
            defer { ledger.close() }
            if existed {
                let head = try ledger.head()
                Output.line("A ledger already exists at \(options.db) with \(Format.grouped(Int(head.sequence))) events; nothing changed.")
            } else {
                Output.line("Created an empty ledger at \(options.db).")
            }
        }
    }
}
