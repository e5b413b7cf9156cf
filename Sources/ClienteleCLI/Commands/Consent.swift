import Access
import ArgumentParser
import CustomerEvents
import Ledger
import LedgerJSON
import Projections

extension Clientele {
    /// `clientele consent`: may we contact this customer?
    struct Consent: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Say whether a customer may be contacted for a purpose on a channel, and why.",
            discussion: reflow("""
                Exits 0 when allowed, 1 when refused, 2 when the ledger has no such customer. A
                record merged with others (CustomersMerged) is one person: the decisions recorded on
                any of the records count, the latest by business time winning.
                """))

        @OptionGroup var options: DatabaseOptions

        @Option(help: "The customer.", transform: CanonicalText.normalized)
        var customer: String

        @Option(help: "membership, marketing or profiling.")
        var purpose: String

        @Option(help: "sms, email, wechat or phone.")
        var channel: String?

        @OptionGroup var asOf: AsOfOptions

        @Option(help: "Output: table (one line), json or csv.")
        var format: OutputFormat = .table

        func validate() throws {
            guard ConsentPurpose(rawValue: purpose) != nil else { throw ValidationError("--purpose must be one of: membership, marketing, profiling") }
            if let channel, ContactChannel(rawValue: channel) == nil { throw ValidationError("--channel must be one of: sms, email, wechat, phone") }
        }

        func run() async throws {
            _ = try options.authorize(.manageConsent)
            let ledger = try CustomerLedger.open(path: options.db)
            defer { ledger.close() }
            // A typo is not a refusal: say so (and still exit non-zero, so no one is contacted).
            guard try ledger.ledger.streamVersion(of: customer) > 0 else {
                Output.error("Error: no customer '\(customer)' in the ledger at \(options.db)")
                throw ExitCode(2)
            }
            // A record merged with others is one person: their consents are decided together.
            let point = asOf.point(in: ledger.ledger)
            let merges = try CustomerMerges.read(from: ledger, asOf: point)
            let consents: ConsentState
            switch point {
            case .time(let t)?: consents = try merges.consents(of: customer, in: ledger, asOf: t)
            case .sequence(let n)?: consents = try merges.consents(of: customer, in: ledger, sequence: n)
            case nil: consents = try merges.consents(of: customer, in: ledger)
            }
            let decision = consents.decide(ConsentPurpose(rawValue: purpose)!, channel: channel.flatMap(ContactChannel.init))
            switch format {
            case .table:
                Output.line(decision.description)
            case .json:
                var m: [(String, JSONValue)] = [("customer", .string(customer)), ("purpose", .string(purpose))]
                if let channel { m.append(("channel", .string(channel))) }
                m += [("allowed", .bool(decision.allowed)), ("reason", .string(decision.reason))]
                var w = JSONWriter()
                w.write(.object(m))
                w.bytes.append(0x0A)
                Output.write(w.bytes)
            case .csv:
                Output.csv(["customer", "purpose", "channel", "allowed", "reason"])
                Output.csv([customer, purpose, channel ?? "", decision.allowed ? "true" : "false", decision.reason])
            }
            if !decision.allowed { throw ExitCode(1) }
        }
    }
}
