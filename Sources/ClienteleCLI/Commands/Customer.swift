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
            abstract: "Show one customer: profile, consents, spend, points, segment, churn risk, open complaints, recent receipts.",
            discussion: reflow("""
                Personal fields are unsealed with the master key (and shown as "erased" after an
                erasure); showing them is recorded in the ledger as a PersonalDataAccessed event.

                The segment and the churn risk rank the customer among all customers (RFM scores,
                and BG/NBD fitted over everyone who bought), so on a ledger of a million customers
                the view takes about a second; the service keeps those rankings and answers at once.
                """))

        @OptionGroup var options: DatabaseOptions
        @OptionGroup var keys: KeyOptions
        @OptionGroup var settings: ConfigOptions

        @Argument(help: "The customer id.", transform: CanonicalText.normalized)
        var id: String

        @OptionGroup var asOf: AsOfOptions

        @Option(help: "Output: table, json or csv (field,value records, one plain value each).")
        var format: OutputFormat = .table

        @Option(help: "Why the personal data is being read (recorded with the access).")
        var purpose: String = "customer view"

        func run() async throws {
            let principal = try options.authorize(.readCustomers, config: settings.path)
            let ledger = try CustomerLedger.open(path: options.db, masterKeyFile: keys.masterKeyFile)
            defer { ledger.close() }
            let models = try ProjectionStore(ledger: ledger)
            defer { models.close() }
            let point = asOf.point(in: ledger.ledger)
            let configuration = try settings.load(db: options.db)
            guard let view = try models.customerView(id, asOf: point, configuration: configuration, segmentOf: { _, _, _ in nil }) else {
                throw CommandFailure(point == nil ? "no customer '\(id)' in the ledger at \(options.db)" : "customer '\(id)' has no events as of \(asOf.text ?? "")")
            }
            let summary = view.summary
            // A record merged into another shows the person: the record it was merged into.
            let id = view.customer
            // A clerk sees the customers of their own store(s): those whose first store is one of them.
            do { try principal.authorize(store: summary.homeStore) } catch { throw CommandFailure("\(error)") }
            let (segment, churn) = try models.ranking(of: id, summary: summary, asOf: point, configuration: configuration)
            let profile = view.profile, personal = view.personalData, tier = view.tier, decisions = view.consents, account = view.loyalty
            let currency = summary.currency ?? "CNY"
            // Personal data is shown only once its reading is on record, as the service shows it.
            if personal == .unsealed {
                let reading = PersonalDataAccess(actor: principal.actor, purpose: purpose, endpoint: "clientele customer", fields: profile.map(\.0))
                do { try reading.record([(id, summary.homeStore ?? Principal.unknownStore)], in: ledger.ledger) } catch {
                    throw CommandFailure("the reading of \(id)'s personal data could not be recorded, so it is not shown: \(error)")
                }
            }

            if format == .json {
                var v = view
                v.segment = segment
                v.churn = churn
                var w = JSONWriter(); w.write(v.json()); w.bytes.append(0x0A); Output.write(w.bytes)
            } else if format == .csv {
                // What the table shows, one plain value a record (money in minor units, times in
                // ISO 8601 with the customer's offset); lists are one record an element, and a
                // receipt or a tier change the records of its parts, one after the other.
                func at(_ µs: Int64, _ offset: Int16) -> String { Timestamp(microseconds: µs, offsetMinutes: offset).iso8601 }
                var rows: [(String, String)] = [("customer", id)]
                if let requested = view.requested { rows.append(("requested", requested)) }
                rows += view.mergedRecords.map { ("merged_record", $0) }
                for (k, v) in profile {
                    switch v {
                    case .null: rows.append((k, personal == .erased ? "(erased)" : "(sealed)"))
                    case .string(let s): rows.append((k, s))
                    case .array(let a): rows += a.compactMap(\.stringValue).map { (k, $0) }
                    default: var w = JSONWriter(); w.write(v); rows.append((k, w.text))
                    }
                }
                rows += [("home_store", summary.homeStore ?? ""), ("segment", segment?.kind.rawValue ?? ""), ("rfm_segment", segment?.rfmSegment ?? ""),
                         ("receipts", String(summary.receipts)), ("purchase_days", String(summary.purchaseDays.count)), ("returns", String(summary.returns)),
                         ("net_spend_minor", String(summary.netSpend)), ("currency", currency),
                         ("points", String(account.points)), ("points_earned", String(account.earned)), ("points_redeemed", String(account.redeemed)),
                         ("points_expired", String(account.expired)), ("points_returned", String(account.reversed)), ("tier", tier.name)]
                rows += tier.benefits.map { ("tier_benefit", $0) }
                for c in account.tierHistory { rows += [("tier_change_at", at(c.at, c.offsetMinutes)), ("tier_change_from", c.from), ("tier_change_to", c.to)] }
                rows += [("visits", String(summary.visits)), ("last_visit", summary.lastVisitAt.map { at($0, summary.offsetMinutes) } ?? "")]
                rows += summary.openComplaints.map { ("open_complaint", $0) }
                if let churn {
                    rows += [("churn_risk", churn.band.rawValue), ("churn_risk_score", Format.fixed(churn.risk, 4)),
                             ("churn_probability_alive", Format.fixed(churn.probabilityAlive, 4))]
                    rows += churn.reasons.map { ("churn_reason", $0) }
                    rows.append(("churn_action", churn.action))
                }
                rows += decisions.map { ($0.0, $0.1.allowed ? "yes" : "no") }
                for r in summary.recentReceipts.reversed() {
                    rows += [("receipt", r.receipt), ("receipt_at", at(r.at, summary.offsetMinutes)), ("receipt_total_minor", String(r.total))]
                }
                Output.csv(["field", "value"])
                for (field, value) in rows { Output.csv([field, value]) }
            } else {
                var t = TextTable(header: ["customer", id])
                if let requested = view.requested { t.rows.append(["requested", "\(requested), merged into \(id)"]) }
                if !view.mergedRecords.isEmpty { t.rows.append(["merged records", view.mergedRecords.joined(separator: ", ")]) }
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
                let unranked = summary.refusesProfiling ? " · not profiled (consent withdrawn)" : ""
                t.rows.append(["segment", segment.map { $0.kind.rawValue + ($0.rfmSegment.map { " · RFM \($0)" } ?? unranked) } ?? "—"])
                t.rows.append(["receipts", "\(summary.receipts) on \(summary.purchaseDays.count) days, \(summary.returns) \(summary.returns == 1 ? "return" : "returns")"])
                t.rows.append(["net spend", Money(minor: summary.netSpend, currency: currency).description])
                t.rows.append(["points", Format.grouped(Int(account.points)) + " (earned \(Format.grouped(Int(account.earned))), redeemed \(Format.grouped(Int(account.redeemed))), expired \(Format.grouped(Int(account.expired))), returned \(Format.grouped(Int(account.reversed))))"])
                t.rows.append(["tier", tier.name + (tier.benefits.isEmpty ? "" : " (" + tier.benefits.joined(separator: ", ") + ")")])
                for change in account.tierHistory {
                    t.rows.append(["tier change", "\(Timestamp(microseconds: change.at, offsetMinutes: change.offsetMinutes).iso8601.prefix(10)) \(change.from) → \(change.to)"])
                }
                t.rows.append(["visits", "\(summary.visits)" + (summary.lastVisitAt.map { ", last \(Timestamp(microseconds: $0, offsetMinutes: summary.offsetMinutes).iso8601.prefix(10))" } ?? "")])
                t.rows.append(["open complaints", summary.openComplaints.isEmpty ? "none" : summary.openComplaints.joined(separator: ", ")])
                if let churn {
                    t.rows.append(["churn risk", "\(churn.band.rawValue) \(Int((churn.risk * 100).rounded())) %"])
                    for reason in churn.reasons { t.rows.append(["", reason]) }
                    t.rows.append(["win-back", churn.action])
                } else {
                    let why = summary.erased ? "erased" : summary.refusesProfiling ? "not profiled: the customer withdrew consent to profiling"
                        : summary.purchaseDays.isEmpty ? "never bought" : !summary.hasBoughtNetOfReturns ? "every purchase refunded" : "too few customers have bought for the model"
                    t.rows.append(["churn risk", "— (\(why))"])
                }
                for (k, d) in decisions { t.rows.append([k, d.allowed ? "yes" : "no"]) }
                for r in summary.recentReceipts.reversed() {
                    t.rows.append(["receipt", "\(r.receipt) \(Timestamp(microseconds: r.at, offsetMinutes: summary.offsetMinutes).iso8601.prefix(16)) \(Money(minor: r.total, currency: currency))"])
                }
                Output.line(t.render())
            }
        }
    }
}
