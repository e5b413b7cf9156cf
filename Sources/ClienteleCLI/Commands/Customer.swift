import Access
import ArgumentParser
import CustomerEvents
import Ledger
import LedgerJSON
import Projections

extension Clientele {
    /// `clientele customer`: one customer's 360 view.
    struct Customer: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show one customer: profile, consents, spend, points, segment, open complaints, recent receipts.",
            discussion: """
                Personal fields are unsealed with the master key (and shown as "erased" after an
                erasure); showing them is recorded in the ledger as a PersonalDataAccessed event.
                """)

        @OptionGroup var options: DatabaseOptions
        @OptionGroup var keys: KeyOptions
        @OptionGroup var settings: ConfigOptions

        @Argument(help: "The customer id.")
        var id: String

        @OptionGroup var asOf: AsOfOptions

        @Option(help: "Output: table or json.")
        var format: OutputFormat = .table

        @Option(help: "Why the personal data is being read (recorded with the access).")
        var purpose: String = "customer view"

        func run() async throws {
            let principal = try options.authorize(.readCustomers, config: settings.path)
            let ledger = try CustomerLedger.open(path: options.db, masterKeyFile: keys.masterKeyFile)
            defer { ledger.close() }
            let models = try ProjectionStore(ledger: ledger)
            defer { models.close() }
            // As of a past point: this customer's events up to then, folded apart from the stored model.
            let point = asOf.point
            func included(_ e: CatalogEvent) -> Bool {
                switch point {
                case nil: return true
                case .sequence(let n)?: return e.recorded.sequence <= n
                case .time(let t)?: return e.recorded.occurredAt <= t
                }
            }
            let configuration = try settings.load()
            let loyaltyModel = LoyaltyProjector(configuration: configuration)
            var summary: CustomerSummary
            var account = loyaltyModel.initial(key: id)
            if point == nil {
                guard let live = try models.record(CustomerSummaryProjector(), key: id) else {
                    throw CommandFailure("no customer '\(id)' in the ledger at \(options.db)")
                }
                summary = live
                account = try models.record(loyaltyModel, key: id) ?? account
            } else {
                summary = CustomerSummary()
                var any = false
                var events: [RecordedEvent] = []
                try ledger.ledger.scan(.customer(id)) { e in
                    switch point {
                    case .sequence(let n)?: if e.sequence <= n { events.append(e) }
                    case .time(let t)?: if e.occurredAt <= t { events.append(e) }
                    case nil: events.append(e)
                    }
                    return true
                }
                if case .time? = point { events.sort { ($0.occurredAt.microseconds, $0.sequence) < ($1.occurredAt.microseconds, $1.sequence) } }
                any = !events.isEmpty
                CustomerSummaryProjector().fold(events, into: &summary, catalog: ledger.catalog)
                loyaltyModel.fold(events, into: &account, catalog: ledger.catalog)
                guard any else { throw CommandFailure("customer '\(id)' has no events as of \(asOf.text ?? "")") }
            }
            // A clerk sees the customers of their own store(s): those whose first store is one of them.
            do { try principal.authorize(store: summary.homeStore) } catch { throw CommandFailure("\(error)") }
            // The profile: the registration, then every profile update, unsealed now.
            var profile: [(String, JSONValue)] = []
            var personal = PersonalDataSealer.Outcome.none
            try ledger.scan(.customer(id)) { event in
                guard included(event) else { return true }
                guard event.type == "CustomerRegistered" || event.type == "CustomerProfileUpdated",
                      case .object(let members) = event.payload else { return true }
                if event.personalData != .none { personal = event.personalData }
                for (k, v) in members {
                    if let i = profile.firstIndex(where: { $0.0 == k }) { profile[i].1 = v } else { profile.append((k, v)) }
                }
                return true
            }
            var (all, now) = try models.snapshot(CustomerSummaryProjector(), asOf: point)
            if let i = all.firstIndex(where: { $0.0 == id }) { all[i].1 = summary }
            let segment = Segmentation.assign(all, now: now, rules: configuration.segments)[id]
            let tier = configuration.tiers.first { $0.name == account.tier } ?? configuration.tier(forSpend: summary.netSpend)
            var asOfTime: Timestamp?, asOfSequence: UInt64?
            if case .time(let t)? = point { asOfTime = t }
            if case .sequence(let n)? = point { asOfSequence = n }
            let consents = try ledger.consents(of: id, asOf: asOfTime, sequence: asOfSequence)
            let currency = summary.currency ?? "CNY"
            let decisions: [(String, ConsentDecision)] = [("membership", consents.decide(.membership))]
                + ContactChannel.allCases.map { ("marketing by \($0.rawValue)", consents.decide(.marketing, channel: $0)) }

            if format == .json {
                var m: [(String, JSONValue)] = [("customer", .string(id)), ("profile", .object(profile)),
                                                ("personalData", .string(String(describing: personal))),
                                                ("summary", summary.json)]
                if let segment {
                    m.append(("segment", .string(segment.kind.rawValue)))
                    if let s = segment.rfmSegment { m.append(("rfmSegment", .string(s))) }
                }
                m.append(("tier", .string(tier.name)))
                m.append(("loyalty", account.json))
                m.append(("consents", .object(decisions.map { ($0.0, .bool($0.1.allowed)) })))
                var w = JSONWriter(); w.write(.object(m)); w.bytes.append(0x0A); Output.write(w.bytes)
            } else {
                var t = TextTable(header: ["customer", id])
                for (k, v) in profile {
                    let text: String
                    switch v {
                    case .null: text = personal == .erased ? "(erased)" : "(sealed: no master key)"
                    case .string(let s): text = s
                    case .array(let a): text = a.compactMap(\.stringValue).joined(separator: ", ")
                    default: var w = JSONWriter(); w.write(v); text = w.text
                    }
                    t.rows.append([k, text])
                }
                t.rows.append(["home store", summary.homeStore ?? "—"])
                t.rows.append(["segment", segment.map { $0.kind.rawValue + ($0.rfmSegment.map { " · RFM \($0)" } ?? "") } ?? "—"])
                t.rows.append(["receipts", "\(summary.receipts) on \(summary.purchaseDays.count) days, \(summary.returns) returned"])
                t.rows.append(["net spend", Money(minor: summary.netSpend, currency: currency).description])
                t.rows.append(["points", Format.grouped(Int(account.points)) + " (earned \(Format.grouped(Int(account.earned))), redeemed \(Format.grouped(Int(account.redeemed))), expired \(Format.grouped(Int(account.expired))), returned \(Format.grouped(Int(account.reversed))))"])
                t.rows.append(["tier", tier.name + (tier.benefits.isEmpty ? "" : " (" + tier.benefits.joined(separator: ", ") + ")")])
                for change in account.tierHistory {
                    t.rows.append(["tier change", "\(Timestamp(microseconds: change.at, offsetMinutes: change.offsetMinutes).iso8601.prefix(10)) \(change.from) → \(change.to)"])
                }
                t.rows.append(["visits", "\(summary.visits)" + (summary.lastVisitAt.map { ", last \(Timestamp(microseconds: $0, offsetMinutes: summary.offsetMinutes).iso8601.prefix(10))" } ?? "")])
                t.rows.append(["open complaints", summary.openComplaints.isEmpty ? "none" : summary.openComplaints.joined(separator: ", ")])
                for (k, d) in decisions { t.rows.append([k, d.allowed ? "yes" : "no"]) }
                for r in summary.recentReceipts.reversed() {
                    t.rows.append(["receipt", "\(r.receipt) \(Timestamp(microseconds: r.at, offsetMinutes: summary.offsetMinutes).iso8601.prefix(16)) \(Money(minor: r.total, currency: currency))"])
                }
                Output.line(t.render())
            }
            if personal == .unsealed {
                let access: JSONValue = .object([
                    ("type", .string("PersonalDataAccessed")), ("customer", .string(id)), ("store", .string(summary.homeStore ?? "unknown")),
                    ("actor", .string(principal.actor)), ("channel", .string("system")), ("occurredAt", .string(Timestamp.now().iso8601)),
                    ("payload", .object([("purpose", .string(purpose)), ("endpoint", .string("clientele customer")),
                                         ("fields", .array(profile.map { .string($0.0) }))])),
                ])
                if case .failure(let e) = ledger.appendAndWait([access])[0] { Output.error("could not record the access: \(e)") }
            }
        }
    }
}
