import Access
import ArgumentParser
import CustomerEvents
import Ledger
import LedgerJSON
import Projections

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
                A record merged with others (CustomersMerged) is one person: every record of the
                group is erased.
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
            // The person: every record merged with this one, under whichever id they were asked for.
            let merges = try CustomerMerges.read(from: ledger, asOf: nil)
            let records = merges.members(of: merges.survivor(of: customer))
            let now = Timestamp.now().iso8601
            for record in records {
                let event: JSONValue = .object([
                    ("type", .string("CustomerErased")), ("customer", .string(record)), ("store", .string(Principal.complianceStore)),
                    ("actor", .string(principal.actor)), ("channel", .string("system")),
                    ("occurredAt", .string(now)),
                    ("source", .string("erasure")), ("externalId", .string(record)),
                    ("payload", .object([("reason", .string(reason))])),
                ])
                let receipt = try ledger.appendAndWait([event])[0].get()
                let destroyed = try ledger.keys.destroy(record)
                let merged = record == customer ? "" : " (merged with \(customer))"
                Output.line("Erased customer \(record)\(merged): event \(receipt.sequence)\(receipt.duplicate ? " (recorded before)" : ""); "
                    + (destroyed ? "data key destroyed." : "no data key was left to destroy."))
            }
        }
    }
}
