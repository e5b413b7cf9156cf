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
            discussion: "Exits 0 when allowed, 1 when refused.")

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
            let consents: ConsentState
            switch asOf.point(in: ledger.ledger) {
            case .time(let t)?: consents = try ledger.consents(of: customer, asOf: t)
            case .sequence(let n)?: consents = try ledger.consents(of: customer, sequence: n)
            case nil: consents = try ledger.consents(of: customer)
            }
            let decision = consents.decide(ConsentPurpose(rawValue: purpose)!, channel: channel.flatMap(ContactChannel.init))
            Output.line(decision.description)
            if !decision.allowed { throw ExitCode(1) }
        }
    }
}
