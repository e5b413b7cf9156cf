import Ledger
import LedgerJSON
import CustomerEvents
import CustomerBase
import Projections

/// The read models a replay can rebuild, each classing every customer (segment, tier, risk band).
public enum ReplayModelName: String, Sendable, CaseIterable {
    /// VIP / regular / potential and the RFM segment (the class is the RFM segment, or "potential").
    case segments
    /// The loyalty tier from net spend.
    case tiers
    /// BG/NBD churn risk, banded (the class is the band).
    case churn
    /// Complaints against their SLA targets (one row per complaint; the class is its worst clock:
    /// on time, due soon, breached): "how many would have breached under a 2-hour response target?"
    case complaints

    /// What one row is about.
    public var rowSubject: String { self == .complaints ? "complaint" : "customer" }
}

/// One customer in a replayed model: their id as shown, the class, and the model's fields.
public struct ModelRow: Sendable {
    public var customer: String
    public var className: String
    public var fields: [(String, JSONValue)]
}

/// Why a model could not be replayed.
public struct ModelReplayError: Error, CustomStringConvertible, Sendable {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// A read model rebuilt in memory as of a point with a given configuration: "what would our
/// segments have been last March under the new thresholds?" Stored state is not touched.
public struct ModelReplay {
    public let ledger: CustomerLedger
    public let model: ReplayModelName
    public let configuration: ClienteleConfiguration

    public init(ledger: CustomerLedger, model: ReplayModelName, configuration: ClienteleConfiguration) {
        self.ledger = ledger
        self.model = model
        self.configuration = configuration
    }

    /// The classes in the order a person reads them (worst last), for tables, matrices and plots.
    public var classOrder: [String] {
        switch model {
        case .segments:
            return ["Champions", "Loyal", "Potential Loyalist", "New", "Promising", "Need Attention", "About To Sleep", "At Risk",
                    "Can't Lose Them", "Hibernating", "Lost", "potential"]
        case .tiers: return configuration.tiers.map(\.name).reversed()
        case .churn: return ChurnRiskBand.allCases.map(\.rawValue)
        case .complaints: return ["on time", "due soon", "breached"]
        }
    }

    /// Every customer's row as of `point` (the whole log when nil), with `display` turning a
    /// customer id into what is shown (a pseudonym, or the id itself); sorted by what is shown.
    public func rows(asOf point: AsOf?, display: (String) -> String) throws -> (rows: [ModelRow], now: Timestamp) {
        if model == .complaints { return try complaintRows(asOf: point, display: display) }
        let folded = try ReplayFold.fold(CustomerSummaryProjector(), ledger: ledger, asOf: point)
        // Merged records count as the person they were merged into, as the live models show them.
        let summaries = try CustomerMerges.read(from: ledger, asOf: point)
            .applied(to: folded.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }, asOf: point, in: ledger)
        var now = try ReplayFold.moment(of: point, in: ledger)
        if now.offsetMinutes == 0 { now.offsetMinutes = summaries.first?.1.offsetMinutes ?? 0 }
        return (try rows(summaries, now: now, display: display), now)
    }

    /// The rows for summaries already folded as of `now`.
    public func rows(_ summaries: [(String, CustomerSummary)], now: Timestamp, display: (String) -> String) throws -> [ModelRow] {
        var out: [ModelRow] = []
        out.reserveCapacity(summaries.count)
        switch model {
        case .segments:
            let assigned = Segmentation.assign(summaries, now: now, rules: configuration.segments)
            for (id, s) in summaries {
                guard let a = assigned[id] else { continue }
                var fields: [(String, JSONValue)] = [("segment", .string(a.kind.rawValue))]
                if let rfm = a.rfm {
                    fields += [("r", .number(String(rfm.r))), ("f", .number(String(rfm.f))), ("m", .number(String(rfm.m)))]
                }
                fields.append(("rfmSegment", a.rfmSegment.map { .string($0) } ?? .null))
                fields += [("receipts", .number(String(s.receipts))), ("netSpend", .number(String(s.netSpend))),
                           ("currency", s.currency.map { .string($0) } ?? .null), ("homeStore", s.homeStore.map { .string($0) } ?? .null)]
                out.append(ModelRow(customer: display(id), className: a.rfmSegment ?? a.kind.rawValue, fields: fields))
            }
        case .tiers:
            for (id, s) in summaries {
                let tier = configuration.tier(forSpend: s.netSpend)
                out.append(ModelRow(customer: display(id), className: tier.name,
                                    fields: [("tier", .string(tier.name)), ("netSpend", .number(String(s.netSpend))),
                                             ("currency", s.currency.map { .string($0) } ?? .null), ("homeStore", s.homeStore.map { .string($0) } ?? .null)]))
            }
        case .complaints:
            throw ModelReplayError("complaints are replayed from their own model, not from customer summaries: use rows(asOf:)")
        case .churn:
            let result: ChurnModel.Result
            do { result = try ChurnModel.assess(summaries, now: now, configuration: configuration) } catch {
                throw ModelReplayError("the churn model cannot be fitted on the log as of \(now.iso8601): \(error)")
            }
            var home: [String: String] = [:]
            for (id, s) in summaries { if let h = s.homeStore { home[id] = h } }
            for a in result.assessments {
                out.append(ModelRow(customer: display(a.customer), className: a.band.rawValue,
                                    fields: [("band", .string(a.band.rawValue)), ("risk", .number(Decimals.fixed(a.risk, 4))),
                                             ("probabilityAlive", .number(Decimals.fixed(a.probabilityAlive, 4))),
                                             ("expectedPurchases", .number(Decimals.fixed(a.expectedPurchases, 4))),
                                             ("action", .string(a.action)), ("reasons", .array(a.reasons.map { .string($0) })),
                                             ("homeStore", home[a.customer].map { .string($0) } ?? .null)]))
            }
        }
        out.sort { $0.customer < $1.customer }
        return out
    }
}

extension ModelReplay {
    /// Every complaint as of `point`, judged by this configuration's SLA targets and opening hours
    /// at that moment; the customer is shown through `display` (a pseudonym by default).
    func complaintRows(asOf point: AsOf?, display: (String) -> String) throws -> (rows: [ModelRow], now: Timestamp) {
        let folded = try InMemoryFold.fold(ComplaintStatusProjector(), ledger: ledger, asOf: point)
        let now = try ReplayFold.moment(of: point, in: ledger)
        var out: [ModelRow] = []
        out.reserveCapacity(folded.count)
        for (id, r) in folded {
            let clocks = ComplaintSLA.clocks(r, at: now.microseconds, configuration: configuration.sla)
            let worst: String
            if clocks.contains(where: { $0.state == .breached || $0.state == .missed }) { worst = "breached" }
            else if clocks.contains(where: { $0.state == .warning }) { worst = "due soon" }
            else { worst = "on time" }
            var fields: [(String, JSONValue)] = [
                ("sla", .string(worst)), ("status", .string(r.status)), ("customer", .string(display(r.customer))),
                ("store", .string(r.store)), ("homeStore", .string(r.store)), ("category", .string(r.category)), ("severity", .string(r.severity)),
            ]
            // The three clocks of the current round (earlier rounds' close clocks count in `worst`).
            for c in clocks.prefix(3) {
                fields.append((c.step + "Minutes", .number(String(c.usedMinutes))))
                fields.append((c.step + "Target", .number(String(c.targetMinutes))))
            }
            out.append(ModelRow(customer: id, className: worst, fields: fields))
        }
        out.sort { $0.customer < $1.customer }
        return (out, now)
    }
}

/// How customers moved between classes from one point to another.
public struct TransitionMatrix: Sendable {
    /// Classes in order; "—" (not a customer yet) first among the origins.
    public var classes: [String]
    /// counts[from][to]: customers in class `from` at the first point and `to` at the second.
    public var counts: [String: [String: Int]]
    /// Each customer's move, sorted by customer as shown.
    public var moves: [(customer: String, from: String, to: String)]

    /// The marker for a customer who had no events yet at the first point.
    public static let absent = "—"

    /// Pairs the rows of two points by customer.
    public init(before: [ModelRow], after: [ModelRow], order: [String]) {
        var earlier: [String: String] = [:]
        for r in before { earlier[r.customer] = r.className }
        var counts: [String: [String: Int]] = [:]
        var moves: [(String, String, String)] = []
        var seen = Set(order)
        var extra: [String] = []
        for r in after {
            let from = earlier[r.customer] ?? TransitionMatrix.absent
            counts[from, default: [:]][r.className, default: 0] += 1
            moves.append((r.customer, from, r.className))
            for c in [from, r.className] where c != TransitionMatrix.absent && seen.insert(c).inserted { extra.append(c) }
        }
        classes = order + extra.sorted()
        self.counts = counts
        self.moves = moves
    }
}

/// Fixed-point decimals for output, without Foundation's formatters.
public enum Decimals {
    /// `x` with `places` digits after the point.
    public static func fixed(_ x: Double, _ places: Int) -> String {
        guard x.isFinite else { return "0" }
        var scale = 1.0
        for _ in 0..<places { scale *= 10 }
        let r = (abs(x) * scale).rounded()
        let whole = Int(r / scale)
        var frac = String(Int(r.truncatingRemainder(dividingBy: scale)))
        while frac.count < places { frac = "0" + frac }
        return (x < 0 && r != 0 ? "-" : "") + String(whole) + (places > 0 ? "." + frac : "")
    }
}
