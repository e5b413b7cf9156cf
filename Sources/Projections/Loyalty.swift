import CustomerEvents
import Ledger
import LedgerJSON

/// One customer's loyalty account: the points balance, what each receipt earned and gave back,
/// the tier their net spend reaches now, and every tier change (when, from which, to which).
/// No personal data: the birthday bonus is keyed to birthday greetings the store recorded,
/// never to the (sealed) birthday itself.
public struct LoyaltyAccount: ProjectionRecord, Sendable, Equatable {
    /// What one receipt earned and how much of it a return gave back.
    public struct ReceiptPoints: Sendable, Equatable {
        /// Points credited for the receipt.
        public var earned: Int64
        /// True while `earned` came from the configured rule (a recorded PointsEarned replaces it).
        public var byRule: Bool
        /// The receipt's total (minor units), to reverse points in proportion to a refund.
        public var total: Int64
        /// Points already taken back by returns (never more than `earned`).
        public var reversed: Int64
        /// Refunds recorded before the purchase itself (an import out of order), taken back from
        /// its points once it arrives.
        public var refundedBefore: Int64 = 0
        /// What returns naming the receipt took off net spend so far (minor units): never more
        /// than its total, so a return keyed twice takes nothing the second time.
        public var refunded: Int64 = 0

        public init(earned: Int64, byRule: Bool, total: Int64, reversed: Int64, refundedBefore: Int64 = 0, refunded: Int64 = 0) {
            self.earned = earned
            self.byRule = byRule
            self.total = total
            self.reversed = reversed
            self.refundedBefore = refundedBefore
            self.refunded = refunded
        }
    }

    /// A move from one tier to another.
    public struct TierChange: Sendable, Equatable {
        /// When (business time, µs since the epoch) and in which zone (minutes).
        public var at: Int64
        public var offsetMinutes: Int16
        public var from: String
        public var to: String
    }

    /// The balance now (never below zero).
    public var points: Int64 = 0
    public var earned: Int64 = 0
    public var redeemed: Int64 = 0
    public var expired: Int64 = 0
    public var reversed: Int64 = 0
    public var netSpend: Int64 = 0
    /// The latest occurred-at (µs) among the events folded in: an event that occurred before it
    /// was recorded out of business-time order.
    public var latestAt: Int64 = .min
    /// The tier now (the lowest tier until a purchase says otherwise).
    public var tier: String
    /// The last birthday greeting (µs), which opens the birthday window.
    public var birthdayGreetingAt: Int64?
    /// True once an event that occurred before `latestAt` was folded in (a POS file loaded after
    /// later purchases): the account is then folded again in business-time order before it is
    /// stored or shown, so it is never stored set.
    public var foldedOutOfOrder = false
    /// What each receipt earned and gave back, by receipt id: inline after the figures (a
    /// purchase, a return or recorded points touch it).
    public var receipts = Receipts()
    /// Most customers never change tier: an empty array takes no heap storage, and 8 bytes of
    /// the account where an inline place would take 64.
    public var tierHistory: [TierChange] = []
    /// Exchanges' own receipts, each to the receipt it exchanged goods of: a return of goods an
    /// exchange issued takes back the points of that original receipt (empty for most customers).
    public var exchangeReceipts: [String: String] = [:]

    /// An empty account in `tier` (the lowest).
    public init(tier: String) { self.tier = tier }

    /// Reads a stored account.
    public init?(stored r: inout RecordReader) {
        points = r.int(); earned = r.int(); redeemed = r.int(); expired = r.int(); reversed = r.int(); netSpend = r.int()
        tier = r.string()
        let n = r.count()
        for _ in 0..<n where !r.failed {
            tierHistory.append(TierChange(at: r.int(), offsetMinutes: Int16(clamping: r.int()), from: r.string(), to: r.string()))
        }
        let m = r.count()
        for _ in 0..<m where !r.failed {
            let id = r.string()
            receipts.restore(id: id, points: ReceiptPoints(earned: r.int(), byRule: r.bool(), total: r.int(), reversed: r.int(), refundedBefore: r.int(), refunded: r.int()))
        }
        birthdayGreetingAt = r.optionalInt()
        let x = r.count()
        for _ in 0..<x where !r.failed { exchangeReceipts[r.string()] = r.string() }
        latestAt = r.int()
        if r.failed { return nil }
    }

    /// Writes the account (receipts in key order, so equal accounts give equal bytes).
    public func encode(to w: inout RecordWriter) {
        w.int(points); w.int(earned); w.int(redeemed); w.int(expired); w.int(reversed); w.int(netSpend)
        w.string(tier)
        w.unsigned(UInt64(tierHistory.count))
        for c in tierHistory { w.int(c.at); w.int(Int64(c.offsetMinutes)); w.string(c.from); w.string(c.to) }
        w.unsigned(UInt64(receipts.count))
        for e in receipts.entries {
            let p = e.points
            w.string(e.id); w.int(p.earned); w.bool(p.byRule); w.int(p.total); w.int(p.reversed); w.int(p.refundedBefore); w.int(p.refunded)
        }
        w.int(birthdayGreetingAt)
        w.unsigned(UInt64(exchangeReceipts.count))
        for (k, v) in exchangeReceipts.sorted(by: { $0.key < $1.key }) { w.string(k); w.string(v) }
        w.int(latestAt)
    }

    /// The account as JSON, for `--format json`.
    public var json: JSONValue {
        func n(_ v: Int64) -> JSONValue { .number(String(v)) }
        return .object([
            ("points", n(points)), ("earned", n(earned)), ("redeemed", n(redeemed)), ("expired", n(expired)), ("reversed", n(reversed)),
            ("tier", .string(tier)),
            ("tierHistory", .array(tierHistory.map {
                .object([("at", .string(Timestamp(microseconds: $0.at, offsetMinutes: $0.offsetMinutes).iso8601)), ("from", .string($0.from)), ("to", .string($0.to))])
            })),
        ])
    }
}

/// Folds purchases, returns and loyalty events into each customer's `LoyaltyAccount`, by the
/// configured point rules and tiers.
///
/// - A receipt earns once. A `PointsEarned` naming a receipt is what the store (or its POS)
///   decided: it replaces whatever the rule gave that receipt, whichever came first. A purchase
///   whose receipt has no `PointsEarned` (POS imports) earns by the rule: `total / spendPerPoint`
///   points, times the tier's multiplier (the tier held before this purchase), the highest
///   category multiplier among its lines, and the tier's birthday multiplier within the birthday
///   window, rounded down.
/// - A return takes back points in proportion to its refund over the original receipt's total
///   (rounded up), never more than that receipt earned in all (so never twice), and the balance
///   never goes below zero. A return recorded before its purchase (an import out of order) is
///   kept on the receipt and takes the points back when the purchase arrives.
/// - An exchange (`ExchangeRecorded`) whose difference was paid earns points by the rule on it,
///   credited to the original receipt; one whose difference was refunded takes points back as a
///   return of that amount would. Net spend changes by the difference either way.
/// - Redeemed and expired points (`PointsRedeemed`, `PointsExpired`) come off the balance, floored
///   at zero; `PointsAdjusted` adds or removes. The account's `redeemed`, `expired` and `reversed`
///   count what came off the balance (a redemption of 5,000 from a balance of 1,000 took 1,000),
///   so that earned less them is the balance, but for adjustments.
/// - The tier follows net spend (purchases less refunds) through the configured thresholds; every
///   change, up or down, is kept with its business time. Recorded `TierChanged` notifications
///   are not needed: tiers are derived.
/// - A customer's events are folded in business-time order (occurred-at, then sequence number),
///   the order they happened in the store (`foldsInBusinessOrder`): a POS file loaded after later
///   purchases makes its customers' accounts fold again in that order, so the tier a purchase
///   earned by, the birthday window and the balance's floors are the same live as in a view as of
///   a time.
///
/// The configuration is part of the model: its fingerprint (`parameters`) is stored with the
/// checkpoint, and a model folded under other rules is rebuilt.
///
/// Version 2: the counters count what came off the balance, not what was asked.
/// Version 3: exchanges: a difference paid earns points, one refunded takes them back.
/// Version 4: a return recorded before its purchase takes the points back once the purchase arrives.
/// Version 5: recorded points replacing the rule's after a return are reversed in the same share;
/// a return of goods an exchange issued takes back the original receipt's points.
/// Version 6: folded in business-time order (an account keeps the latest occurred-at it folded).
/// Version 7: a return takes off net spend no more than its receipt had left (`refunded`).
/// Version 8: so does an exchange's refund.
/// Version 9: a return naming an exchange's own receipt takes off spend no more than the
/// exchanged receipt had left.
public struct LoyaltyProjector: KeyedProjector {
    public static let name = "loyalty"
    public static let version = 9
    public static var foldsInBusinessOrder: Bool { true }
    public let tiers: [LoyaltyTier]
    public let rules: PointRules

    /// The model under `configuration`'s tiers and point rules.
    public init(configuration: ClienteleConfiguration = ClienteleConfiguration()) {
        tiers = configuration.tiers
        rules = configuration.points
    }

    public var parameters: UInt64 {
        // FNV-1a over a canonical text of the rules and tiers.
        var text = "spp=\(rules.spendPerPoint);bw=\(rules.birthdayWindowDays);"
        for k in rules.categoryMultipliers.keys.sorted() { text += "c:\(k)=\(rules.categoryMultipliers[k]!);" }
        for t in tiers { text += "t:\(t.name)=\(t.minSpend),\(t.pointsMultiplier),\(t.birthdayMultiplier);" }
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in text.utf8 { h = (h ^ UInt64(b)) &* 0x0000_0100_0000_01B3 }
        return h
    }

    public var eventKinds: EventKind.Set {
        EventKind.Set([.purchaseRecorded, .returnRecorded, .exchangeRecorded, .pointsEarned, .pointsRedeemed, .pointsExpired, .pointsAdjusted, .careContactMade])
    }

    public func key(for event: borrowing FoldEvent) -> String? {
        if event.kind == .careContactMade, event.member(.kind)?.equals("birthday-greeting") != true { return nil }
        return event.customer
    }

    public func initial(key: String) -> LoyaltyAccount { LoyaltyAccount(tier: tiers.first?.name ?? "member") }

    func tier(forSpend spend: Int64) -> LoyaltyTier? { tiers.last { spend >= $0.minSpend } ?? tiers.first }

    public func needsRefold(_ a: LoyaltyAccount) -> Bool { a.foldedOutOfOrder }

    public func apply(_ a: inout LoyaltyAccount, _ event: borrowing FoldEvent) {
        let at = event.occurredAt
        if at.microseconds < a.latestAt { a.foldedOutOfOrder = true } else { a.latestAt = at.microseconds }
        switch event.kind {
        case .purchaseRecorded:
            let r = event.receipt
            let total = r.amount
            let id = r.receipt?.string
            // One search for the receipt: found (its PointsEarned may have come first), or where it goes.
            let place = id.map { a.receipts.position(of: $0) }
            if let place, place.found, !a.receipts[at: place.index].byRule {
                a.receipts[at: place.index].total += total // its PointsEarned came first: nothing more to earn
            } else {
                let points = pointsByRule(for: total, of: a, at: at) { r.forEachCategory($0) }
                a.points += points
                a.earned += points
                if let id, let place {
                    if place.found {
                        Self.credit(&a.receipts[at: place.index], points: points, total: total)
                    } else {
                        a.receipts.insert(id: id, points: .init(earned: points, byRule: true, total: total, reversed: 0), at: place.index)
                    }
                }
            }
            // Returns recorded before this purchase take back its points now.
            if let id, let place, place.found, a.receipts[at: place.index].refundedBefore > 0 {
                let refund = a.receipts[at: place.index].refundedBefore
                a.receipts[at: place.index].refundedBefore = 0
                reverse(&a, refund: refund, of: id)
            }
            spend(&a, by: total, at: at)
        case .pointsEarned:
            let n = event.member(.points)?.int64 ?? 0
            if let id = event.member(.receipt)?.string {
                let place = a.receipts.position(of: id)
                if place.found, a.receipts[at: place.index].byRule {
                    // The recorded points replace the rule's; returns already taken from the rule's
                    // take the same share of these (rounded up, as a return does).
                    let known = a.receipts[at: place.index]
                    let share = known.earned > 0 ? min(n, (n * known.reversed + known.earned - 1) / known.earned) : 0
                    a.points = max(0, a.points + (n - share) - (known.earned - known.reversed))
                    a.earned += n - known.earned
                    a.reversed += share - known.reversed
                    a.receipts[at: place.index].earned = n
                    a.receipts[at: place.index].reversed = share
                    a.receipts[at: place.index].byRule = false
                } else {
                    if place.found {
                        a.receipts[at: place.index].earned += n
                    } else {
                        a.receipts.insert(id: id, points: .init(earned: n, byRule: false, total: 0, reversed: 0), at: place.index)
                    }
                    a.points += n
                    a.earned += n
                }
            } else {
                a.points += n
                a.earned += n
            }
        case .returnRecorded:
            var refund = event.receipt.amount
            if let named = event.receipt.originalReceipt?.string {
                // Goods an exchange issued are refunded from the receipt they were exchanged for.
                let original = a.exchangeReceipts[named] ?? named
                refund = Self.capped(refund, of: original, in: &a)
                reverse(&a, refund: refund, of: original)
            }
            spend(&a, by: -refund, at: at)
        case .exchangeRecorded:
            var difference = event.exchangeDifference
            let original = event.payload["originalReceipt"]?.string.map { a.exchangeReceipts[$0] ?? $0 }
            if let original, let own = event.payload["receipt"]?.string, own != original { a.exchangeReceipts[own] = original }
            if difference > 0 {
                let issued = event.exchangeIssued
                let points = pointsByRule(for: difference, of: a, at: at) { FoldEvent.forEachCategory(inLines: issued, $0) }
                a.points += points
                a.earned += points
                if let original {
                    let place = a.receipts.position(of: original)
                    if place.found {
                        Self.credit(&a.receipts[at: place.index], points: points, total: difference)
                    } else {
                        a.receipts.insert(id: original, points: .init(earned: points, byRule: true, total: difference, reversed: 0), at: place.index)
                    }
                }
            } else if difference < 0, let original {
                // Refunded on top: a refund of the receipt, as a return's.
                let refund = Self.capped(-difference, of: original, in: &a)
                reverse(&a, refund: refund, of: original)
                difference = -refund
            }
            spend(&a, by: difference, at: at)
        case .pointsRedeemed:
            let taken = min(max(0, event.member(.points)?.int64 ?? 0), a.points)
            a.redeemed += taken
            a.points -= taken
        case .pointsExpired:
            let taken = min(max(0, event.member(.points)?.int64 ?? 0), a.points)
            a.expired += taken
            a.points -= taken
        case .pointsAdjusted:
            a.points = max(0, a.points + (event.member(.points)?.int64 ?? 0))
        case .careContactMade:
            a.birthdayGreetingAt = at.microseconds
        default:
            break
        }
    }

    /// The points `amount` (minor units) earns by the rules: the customer's tier multiplier, the
    /// best multiplier of the categories `categories` visits, and the birthday window's.
    private func pointsByRule(for amount: Int64, of a: LoyaltyAccount, at: Timestamp, categories: ((JSONSpan) -> Void) -> Void) -> Int64 {
        guard amount > 0 else { return 0 }
        let current = tier(forSpend: a.netSpend)
        var multiplier = current?.pointsMultiplier ?? 1
        if !rules.categoryMultipliers.isEmpty {
            var best: Double?
            categories { c in
                if let name = c.string, let m = rules.categoryMultipliers[name] { best = max(best ?? m, m) }
            }
            multiplier *= best ?? 1
        }
        if let g = a.birthdayGreetingAt, at.microseconds >= g, at.microseconds - g <= Int64(rules.birthdayWindowDays) * 86_400_000_000 {
            multiplier *= current?.birthdayMultiplier ?? 1
        }
        return Int64((Double(amount / rules.spendPerPoint) * multiplier).rounded(.down))
    }

    /// `refund` as far as receipt `id` has any left to refund (its total less what returns naming
    /// it took already), noted on the receipt; the whole refund when the receipt is not known (yet)
    /// (`RefundCap`, as the customer summary caps it). An exchange's own receipt is resolved to
    /// the receipt it exchanged goods of before.
    private static func capped(_ refund: Int64, of id: String, in a: inout LoyaltyAccount) -> Int64 {
        let place = a.receipts.position(of: id)
        guard place.found else { return refund }
        return RefundCap.take(refund, total: a.receipts[at: place.index].total, refunded: &a.receipts[at: place.index].refunded)
    }

    /// Takes back the points of receipt `original` in proportion to `refund` of its total (all of
    /// them for a refund of the whole), never more than it earned over all its refunds. A receipt
    /// not purchased yet keeps the refund until it is (`refundedBefore`).
    private func reverse(_ a: inout LoyaltyAccount, refund: Int64, of original: String) {
        let place = a.receipts.position(of: original)
        guard place.found, a.receipts[at: place.index].total > 0 else {
            if place.found {
                a.receipts[at: place.index].refundedBefore += max(0, refund)
            } else {
                a.receipts.insert(id: original, points: .init(earned: 0, byRule: true, total: 0, reversed: 0, refundedBefore: max(0, refund)), at: place.index)
            }
            return
        }
        let r = a.receipts[at: place.index]
        let left = r.earned - r.reversed
        var back = left
        if r.total > 0 && refund < r.total {
            back = min(left, (r.earned * max(0, refund) + r.total - 1) / r.total)
        }
        guard back > 0 else { return }
        // The receipt gives back at most once what it earned; the balance only what is left.
        a.receipts[at: place.index].reversed += back
        let taken = min(back, a.points)
        a.reversed += taken
        a.points -= taken
    }

    /// Credits a receipt's points and total in place.
    @inline(__always)
    private static func credit(_ r: inout LoyaltyAccount.ReceiptPoints, points: Int64, total: Int64) {
        r.earned += points
        r.total += total
    }

    private func spend(_ a: inout LoyaltyAccount, by amount: Int64, at: Timestamp) {
        a.netSpend += amount
        guard let now = tier(forSpend: a.netSpend), now.name != a.tier else { return }
        a.tierHistory.append(.init(at: at.microseconds, offsetMinutes: at.offsetMinutes, from: a.tier, to: now.name))
        a.tier = now.name
    }
}
