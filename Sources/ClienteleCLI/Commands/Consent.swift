import Access
import ArgumentParser
import CustomerEvents
import Ledger
import Projections

extension Clientele {
    /// `clientele consent`: may we contact this customer?
    struct Consent: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Say whether a customer may be contacted for a purpose on a channel, and why.",
            discussion: reflow("""
                Exits 0 when allowed, 1 when refused. A record merged with others (CustomersMerged)
                is one person: the decisions recorded on any of the records count, the latest by
                business time winning.
                """))

        @OptionGroup var options: DatabaseOptions

        @Option(help: "The customer.", transform: CanonicalText.normalized)
        var customer: String

        @Option(help: "membership, marketing or profiling.")
        var purpose: String

        @Option(help: "sms, email, wechat or phone.")
        var channel: String?

        @OptionGroup var asOf: AsOfOptions

        func validate() throws {
            guard ConsentPurpose(rawValue: purpose) != nil else { throw ValidationError("--purpose must be one of: membership, marketing, profiling") }
            if let channel, ContactChannel(rawValue: channel) == nil { throw ValidationError("--channel must be one of: sms, email, wechat, phone") }
        }

        func run() async throws {
            _ = try options.authorize(.manageConsent)
            let ledger = try CustomerLedger.open(path: options.db)
            defer { ledger.close() }
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
            Output.line(decision.description)
            if !decision.allowed { throw ExitCode(1) }
        }
    }
}
