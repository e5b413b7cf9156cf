import Access
import ArgumentParser
import CustomerEvents
import Ledger
import LedgerJSON

extension Clientele {
    /// `clientele erase`: crypto-shreds one customer's personal data.
    struct Erase: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Erase a customer's personal data by destroying their data key.",
            discussion: reflow("""
                Appends a CustomerErased event (actor: the operating-system user), then destroys the
                customer's data key and rewrites the key file compacted. The log stays whole and
                verifiable; the customer's personal fields read as null everywhere from then on,
                while amounts, dates and complaint steps stay. Running it again does nothing more.
                """))

        @OptionGroup var options: DatabaseOptions
        @OptionGroup var keys: KeyOptions

        @Option(help: "The customer to erase.", transform: CanonicalText.normalized)
        var customer: String

        @Option(help: "Why (the erasure request's reference).")
        var reason: String

        func run() async throws {
            let principal = try options.authorize(.erase)
            let ledger = try CustomerLedger.open(path: options.db, masterKeyFile: keys.masterKeyFile)
            defer { ledger.close() }
            guard try ledger.ledger.streamVersion(of: customer) > 0 else {
                throw CommandFailure("no customer '\(customer)' in the ledger at \(options.db)")
            }
            let event: JSONValue = .object([
                ("type", .string("CustomerErased")), ("customer", .string(customer)), ("store", .string("compliance")),
                ("actor", .string(principal.actor)), ("channel", .string("system")),
                ("occurredAt", .string(Timestamp.now().iso8601)),
                ("source", .string("erasure")), ("externalId", .string(customer)),
                ("payload", .object([("reason", .string(reason))])),
            ])
            let receipt = try ledger.appendAndWait([event])[0].get()
            let destroyed = try ledger.keys.destroy(customer)
            Output.line("Erased customer \(customer): event \(receipt.sequence)\(receipt.duplicate ? " (recorded before)" : ""); "
                + (destroyed ? "data key destroyed." : "no data key was left to destroy."))
        }
    }
}
