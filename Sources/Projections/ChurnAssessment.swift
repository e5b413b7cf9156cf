import CustomerBase
import Ledger

/// One customer's churn risk (流失预警): BG/NBD's probability the customer is still active,
/// raised by the complaint signals the seeds name, banded, with the reasons in words and a
/// win-back action that respects consent.
public struct ChurnAssessment: Sendable, Equatable {
    public var customer: String
    /// P(alive) from BG/NBD; for a customer who bought on one day only (whom BG/NBD holds alive
    /// for sure), counting that purchase as a chance to leave
    /// (`BGNBDModel.probabilityAliveCountingFirstPurchase(_:)`).
    public var probabilityAlive: Double
    /// Expected purchases in the horizon (default 90 days): BG/NBD's, and for a customer who bought
    /// on one day only, those expected of them if active times `probabilityAlive`.
    public var expectedPurchases: Double
    /// The risk after complaint signals, 0…1.
    public var risk: Double
    public var band: ChurnRiskBand
    public var reasons: [String]
    public var action: String
}

/// Fits BG/NBD over every customer who bought and assesses each one.
public enum ChurnModel {
    /// Each open complaint unresolved for more than a day adds this share of the remaining chance.
    public static let unresolvedPenalty = 0.3
    /// Each complaint whose resolution the customer was unhappy with adds this share.
    public static let badlyResolvedPenalty = 0.15

    public struct Result: Sendable {
        public var fit: BGNBDFit?
        public var assessments: [ChurnAssessment]
    }

    /// Assesses `summaries` as of `now` (day units). Customers who never bought are not at risk of churning: they are prospects.
    /// Erased customers, and those who withdrew consent to profiling, are neither fitted nor assessed.
    /// Each summary's `purchaseDays` must be ascending without repeats, as the customer summary keeps them.
    /// Days are counted in `now`'s zone, or, for a `now` in UTC (the clock's), in the customers'
    /// (the first summary's): the service, the 360 view and `clientele churn` count the same days.
    public static func assess(_ summaries: [(String, CustomerSummary)], now: Timestamp, configuration: ClienteleConfiguration) throws -> Result {
        let nowDay = day(of: now, zone: summaries.first?.1.offsetMinutes ?? 0)
        // Positions in `summaries`, not copies: a summary is a large value and there may be millions.
        var histories: [(Int, CustomerHistory)] = []
        for (position, (_, s)) in summaries.enumerated() where !s.purchaseDays.isEmpty && !s.erased && !s.refusesProfiling {
            assert(zip(s.purchaseDays, s.purchaseDays.dropFirst()).allSatisfy { $0 < $1 }, "purchase days out of order")
            if let h = CustomerHistory(sortedDistinctDays: s.purchaseDays, observationEnd: nowDay.rounded(.down)) {
                histories.append((position, h))
            }
        }
        guard !histories.isEmpty else { return Result(fit: nil, assessments: []) }
        let fit = try BGNBDFitter().fit(histories.map(\.1))
        var out: [ChurnAssessment] = []
        out.reserveCapacity(histories.count)
        // Fitted on every buyer's purchase days; assessed are those who bought net of returns (one
        // whose every purchase was refunded is a prospect, as segments count them).
        for (position, h) in histories where summaries[position].1.hasBoughtNetOfReturns {
            out.append(assessment(summaries[position].0, summaries[position].1, history: h, fit: fit, nowDay: nowDay, now: now, configuration: configuration))
        }
        return Result(fit: fit, assessments: out)
    }

    /// One customer's churn risk, BG/NBD fitted over every customer in `columns`: what
    /// `assess(_:now:configuration:)` gives the customer `id` (whose summary is `summary`)
    /// among the summaries the columns were read from, without building the others' summaries
    /// (one customer's 360). Nil when the customer never bought (net of returns), was erased,
    /// withdrew consent to profiling, or nobody bought.
    public static func assess(_ id: String, summary s: CustomerSummary, among columns: RankingColumns, now: Timestamp,
                              configuration: ClienteleConfiguration) throws -> ChurnAssessment? {
        let nowDay = day(of: now, zone: columns.offsets.first ?? 0)
        let end = nowDay.rounded(.down)
        guard !s.purchaseDays.isEmpty, !s.erased, !s.refusesProfiling, s.hasBoughtNetOfReturns, let h = CustomerHistory(sortedDistinctDays: s.purchaseDays, observationEnd: end) else { return nil }
        var histories: [CustomerHistory] = []
        histories.reserveCapacity(columns.count)
        for i in 0..<columns.count where !columns.erased[i] && columns.figures[i].profiled {
            if let h = columns.withDays(of: i, { CustomerHistory(sortedDistinctDays: $0, observationEnd: end) }) { histories.append(h) }
        }
        guard !histories.isEmpty else { return nil }
        let fit = try BGNBDFitter().fit(histories)
        return assessment(id, s, history: h, fit: fit, nowDay: nowDay, now: now, configuration: configuration)
    }

    /// `now` as a day number (with its fraction), counted in `now`'s zone, or for a `now` in UTC (the
    /// clock's) in the customers' (`zone`: the first summary's).
    static func day(of now: Timestamp, zone customers: Int16) -> Double {
        let zone = now.offsetMinutes != 0 ? now.offsetMinutes : customers
        return Double(now.microseconds + Int64(zone) * 60_000_000) / 86_400_000_000
    }

    /// The assessment of customer `id`, whose summary is `s` and history `h`, by `fit`.
    static func assessment(_ id: String, _ s: CustomerSummary, history h: CustomerHistory, fit: BGNBDFit, nowDay: Double, now: Timestamp,
                           configuration: ClienteleConfiguration) -> ChurnAssessment {
        let horizon = Double(configuration.churnHorizonDays)
        // BG/NBD lets a customer leave only after a repeat purchase: one who bought on one day
        // only is active for sure, however long ago that was. Most of a store's customers bought
        // once, and "a long time without buying" is a churn signal the seeds name.
        let once = h.frequency == 0
        let alive = once ? fit.model.probabilityAliveCountingFirstPurchase(h) : fit.model.probabilityAlive(h)
        var stay = alive
        var reasons: [String] = []
        let days = Int(nowDay) - Int(s.purchaseDays.last!)
        if s.purchaseDays.count > 1 {
            let gap = Double(s.purchaseDays.last! - s.purchaseDays.first!) / Double(s.purchaseDays.count - 1)
            reasons.append("\(days) days since the last purchase, usual gap \(Int(gap.rounded())) days")
        } else {
            reasons.append("bought once, \(days) days ago")
        }
        let percent = Int((alive * 100).rounded())
        reasons.append(once ? "P(active) \(percent) % by BG/NBD, the one purchase counted as a chance to leave"
                            : "P(active) \(percent) % by BG/NBD")
        for (complaint, openDays) in overdueComplaints(of: s, at: now) {
            stay *= 1 - unresolvedPenalty
            reasons.append("complaint \(complaint) unresolved for \(openDays) days")
        }
        if s.badlyResolvedComplaints > 0 {
            for _ in 0..<s.badlyResolvedComplaints { stay *= 1 - badlyResolvedPenalty }
            reasons.append("\(s.badlyResolvedComplaints) complaint resolution\(s.badlyResolvedComplaints > 1 ? "s" : "") the customer was unhappy with")
        }
        let risk = 1 - stay
        let band = configuration.churnBands.band(forRisk: risk)
        let expected = fit.model.expectedPurchases(in: horizon, given: h) * (once ? alive : 1)
        return ChurnAssessment(customer: id, probabilityAlive: alive, expectedPurchases: expected,
                               risk: risk, band: band, reasons: reasons, action: action(band: band, for: s, at: now))
    }

    /// The customer's complaints unresolved for a day or more at `now`, by id, with the whole days
    /// they have been open: each raises the risk, and the first is to be resolved before any offer.
    static func overdueComplaints(of s: CustomerSummary, at now: Timestamp) -> [(String, Int64)] {
        s.unresolvedComplaintSince.sorted { $0.key < $1.key }.compactMap { complaint, since in
            let openDays = (now.microseconds - since) / 86_400_000_000
            return openDays >= 1 ? (complaint, openDays) : nil
        }
    }

    /// The win-back action for a customer in `band`, from their summary `s` at `now`: an overdue
    /// complaint first; an offer only on a channel they consent to now.
    static func action(band: ChurnRiskBand, for s: CustomerSummary, at now: Timestamp) -> String {
        if let (complaint, _) = overdueComplaints(of: s, at: now).first { return "resolve complaint \(complaint) first" }
        if band == .low { return "none needed" }
        if let channel = s.marketingChannels.first(where: { $0 != "*" }) ?? (s.marketingChannels.contains("*") ? "sms" : nil) {
            return band == .high ? "win-back coupon by \(channel)" : "invitation to the next member day by \(channel)"
        }
        return "no marketing consent: offer a coupon at the next visit"
    }
}

extension ChurnAssessment {
    /// This assessment with its action decided again from the customer's summary as it stands
    /// now, `s`: a ranking is computed now and then (its risk may lag), but an offer must follow
    /// the consents of the moment. Nil for a customer erased or no longer to be profiled since.
    public func actingOn(_ s: CustomerSummary, at now: Timestamp) -> ChurnAssessment? {
        guard !s.erased, !s.refusesProfiling else { return nil }
        var a = self
        a.action = ChurnModel.action(band: band, for: s, at: now)
        return a
    }
}
