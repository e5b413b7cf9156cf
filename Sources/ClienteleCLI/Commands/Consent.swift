import Access
import ArgumentParser
import CustomerEvents
import Ledger

extension Clientele {
    /// `clientele consent`: may we contact this customer?
    struct Consent: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Say whether a customer may be contacted for a purpose on a channel, and why.",
            discussion: "Exits 0 when allowed, 1 when refused.")

        @OptionGroup var options: DatabaseOptions

        @Option(help: "The customer.")
        var customer: String

        @Option(help: "membership, marketing or profiling.")
        var purpose: String

        @Option(help: "sms, email, wechat or phone.")
        var channel: String?

        @Option(name: .customLong("as-of"), help: "A past moment (RFC 3339), instead of now.")
        var asOf: String?

        func validate() throws {
            guard ConsentPurpose(rawValue: purpose) != nil else { throw ValidationError("--purpose must be one of: membership, marketing, profiling") }
            if let channel, ContactChannel(rawValue: channel) == nil { throw ValidationError("--channel must be one of: sms, email, wechat, phone") }
            if let asOf, Timestamp(iso8601: asOf) == nil { throw ValidationError("--as-of must be an RFC 3339 time with a zone, e.g. 2026-03-31T23:59:59+08:00") }
        }

        func run() async throws {
            _ = try options.authorize(.manageConsent)
            let ledger = try CustomerLedger.open(path: options.db)
            defer { ledger.close() }
            let decision = try ledger.mayContact(customer, for: ConsentPurpose(rawValue: purpose)!, on: channel.flatMap(ContactChannel.init),
                                                 at: asOf.flatMap { Timestamp(iso8601: $0) })
            Output.line(decision.description)
            if !decision.allowed { throw ExitCode(1) }
        }
    }
}
