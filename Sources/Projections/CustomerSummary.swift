import CustomerEvents
import Ledger
import LedgerJSON

/// What the store knows of one customer, without personal data: purchases and returns (net),
/// the days they bought on, categories, visits, open complaints, consents now (points and
/// tiers are the loyalty model's, `LoyaltyAccount`).
/// Customer 360, segments, loyalty tiers and churn risk are all read from it.
public struct CustomerSummary: ProjectionRecord, Sendable, Equatable {
    public var registeredAt: Int64?
    /// The zone offset (minutes) of the customer's latest event, to show their times in.
    public var offsetMinutes: Int16 = 0
    public var membership = false
    public var erased = false
    /// The customer withdrew their consent to profiling (their latest decision on it, by business
    /// time): they keep their figures and their VIP / regular kind, but are left out of the RFM
    /// ranks and the churn model, which score them against everyone else.
    public var refusesProfiling = false
    public var homeStore: String?
    public var receipts: Int = 0
    public var returns: Int = 0
    /// Spend net of refunds, in minor units of `currency`.
    public var netSpend: Int64 = 0
    public var currency: String?
    public var visits: Int = 0
    public var lastVisitAt: Int64?
    public var lastPurchaseAt: Int64?
    public var firstPurchaseAt: Int64?
    public var openComplaints: [String] = []
    public var unresolvedComplaintSince: [String: Int64] = [:]
    /// The complaints whose latest feedback was unhappy with the resolution: a satisfied
    /// feedback later (after a reopening, say) takes the complaint off.
    public var unhappyComplaints: [String] = []
    /// How many complaints the customer was last unhappy with the resolution of (a churn signal).
    public var badlyResolvedComplaints: Int { unhappyComplaints.count }

    /// The latest occurred-at (µs) among the events folded in: an event that occurred before it
    /// was recorded out of business-time order.
    public var latestAt: Int64 = .min
    /// True once an event that occurred before `latestAt` was folded in (a POS file loaded after
    /// later events): the summary is then folded again in business-time order before it is
    /// stored or shown, so it is never stored set.
    public var foldedOutOfOrder = false
    // The lists, inline after the figures every event touches (`SmallList`): a consent change
    // touches the first two, a purchase the last three.
    /// Where the customer's profile and consents are in the log: the sequence numbers of their
    /// registration, profile updates, consent changes and erasure, in the order they occurred. The 360 view reads
    /// just these events to show the profile (unsealed then) and consents, however many other
    /// events — access records above all — the customer's stream holds.
    public var profileEvents: SmallList<4, UInt64> = []
    /// Marketing channels the customer consents to now ("*" = every channel), as
    /// `ConsentState.decide` answers for each.
    public var marketingChannels: SmallList<2, String> = []
    /// The latest decision on membership and on each marketing channel, which `membership` and
    /// `marketingChannels` are derived from.
    public var consentMarks = ConsentMarks()
    /// Distinct local days (day numbers since 1970-01-01 in the event's own zone) with a purchase,
    /// kept ascending without repeats (the churn model reads them as they are).
    public var purchaseDays: SmallList<4, Int64> = []
    public var categories: SmallList<3, String> = []
    /// The last few receipts (at most 5): (receipt, at µs, total minor, refunded minor, day).
    public var recentReceipts: SmallList<5, RecentReceipt> = []
    /// The receipts before the recent ones, for the refunds they may still get: what each had and
    /// has refunded, under a hash of its id (no heap storage until a customer's sixth receipt).
    public var olderReceipts: [OlderReceipt] = []
    /// Exchanges' own receipts, each with the receipt it exchanged goods of (resolved through
    /// exchanges of exchanges): a return of goods an exchange issued is capped by what that
    /// receipt has left, as loyalty caps it (empty for most customers: no heap storage).
    public var exchangeReceipts: [ExchangeReceipt] = []

    /// An exchange's own receipt and the purchase receipt its goods came from.
    public struct ExchangeReceipt: Sendable, Equatable {
        public var own: String
        public var original: String
    }

    /// The purchase receipt `id` stands for: the one an exchange's own receipt exchanged goods
    /// of, or `id` itself.
    func purchaseReceipt(of id: String) -> String {
        exchangeReceipts.first { $0.own == id }?.original ?? id
    }

    /// A receipt no longer among the recent ones: a hash of its id (`ByteHash`), its total and
    /// what returns of it refunded so far, in minor units, and when it was bought (`notBought`
    /// for a receipt noted by an exchange paid on a receipt the customer has no purchase of).
    public struct OlderReceipt: Sendable, Equatable {
        public var idHash: UInt64
        public var total: Int64
        public var refunded: Int64
        public var at: Int64
        public var day: Int64

        init(_ r: RecentReceipt) {
            idHash = Self.hash(r.receipt)
            total = r.total
            refunded = r.refunded
            at = r.at
            day = r.day
        }

        init(idHash: UInt64, total: Int64, refunded: Int64, at: Int64, day: Int64) {
            self.idHash = idHash
            self.total = total
            self.refunded = refunded
            self.at = at
            self.day = day
        }

        /// Whether it counts as a purchase: bought, and not refunded in full.
        var counts: Bool { day != CustomerSummary.notBought && !RefundCap.refundedInFull(total: total, refunded: refunded) }

        /// The hash of a receipt id.
        static func hash(_ id: String) -> UInt64 {
            var id = id
            return id.withUTF8 { ByteHash.hash(UnsafeRawBufferPointer($0)) }
        }
    }

    public struct RecentReceipt: Sendable, Equatable, SmallListElement {
        public static var placeholder: RecentReceipt { RecentReceipt(receipt: "", at: 0, total: 0, day: 0) }
        public var receipt: String
        public var at: Int64
        public var total: Int64
        /// What returns of it refunded so far: a refund beyond its total (the same return keyed
        /// twice, at the desk and by the POS export) takes no more off net spend.
        public var refunded: Int64 = 0
        /// The local day it was bought on (as `purchaseDays` counts it).
        public var day: Int64
        public init(receipt: String, at: Int64, total: Int64, refunded: Int64 = 0, day: Int64) {
            self.receipt = receipt
            self.at = at
            self.total = total
            self.refunded = refunded
            self.day = day
        }

        /// Whether it counts as a purchase: not refunded in full.
        var counts: Bool { !RefundCap.refundedInFull(total: total, refunded: refunded) }
    }

    /// The `day` of an older receipt the customer did not buy (noted by an exchange).
    static let notBought = Int64.min

    public init() {}

    /// Where one of the customer's receipts is kept.
    enum ReceiptIndex { case recent(Int), older(Int) }

    /// Where receipt `id` is kept, among the recent receipts, then the older ones.
    func index(of id: String) -> ReceiptIndex? {
        if let i = recentReceipts.firstIndex(where: { $0.receipt == id }) { return .recent(i) }
        return olderIndex(of: id)
    }

    /// Where receipt `id` is kept among the older receipts.
    func olderIndex(of id: String) -> ReceiptIndex? {
        guard !olderReceipts.isEmpty else { return nil }
        let h = OlderReceipt.hash(id)
        return olderReceipts.lastIndex { $0.idHash == h }.map { .older($0) }
    }

    func counts(_ i: ReceiptIndex) -> Bool {
        switch i {
        case .recent(let k): return recentReceipts[k].counts
        case .older(let k): return olderReceipts[k].counts
        }
    }

    /// `refund` of receipt `id` as far as it had any left (noted on it); the whole when the
    /// customer has no such receipt.
    mutating func capRefund(_ refund: Int64, of id: String) -> Int64 {
        guard let i = index(of: id) else { return refund }
        return capRefund(refund, at: i)
    }

    /// `refund` of the receipt at `i` as far as it had any left (noted on it). A receipt refunded
    /// in full no longer counts as a purchase: its day, and its time as the first or last
    /// purchase, go unless another purchase holds them (segments, like the churn model, are net
    /// of returns).
    mutating func capRefund(_ refund: Int64, at i: ReceiptIndex) -> Int64 {
        let counted = counts(i)
        let taken: Int64
        switch i {
        case .recent(let k): taken = RefundCap.take(refund, total: recentReceipts[k].total, refunded: &recentReceipts[k].refunded)
        case .older(let k): taken = RefundCap.take(refund, total: olderReceipts[k].total, refunded: &olderReceipts[k].refunded)
        }
        if counted && !counts(i) { purchaseWithdrawn(at: i) }
        return taken
    }

    /// Adds `amount` paid on top (an exchange) to receipt `id`'s total, noting the receipt when
    /// the customer has no purchase of it. A receipt refunded in full counts again once it has
    /// something left to refund.
    mutating func credit(_ amount: Int64, to id: String) {
        guard let i = index(of: id) else {
            olderReceipts.append(OlderReceipt(idHash: OlderReceipt.hash(id), total: amount, refunded: 0, at: 0, day: Self.notBought))
            return
        }
        let counted = counts(i)
        switch i {
        case .recent(let k): recentReceipts[k].total += amount
        case .older(let k): olderReceipts[k].total += amount
        }
        if !counted && counts(i) { purchaseRestored(at: i) }
    }

    /// The day and time of the purchase of the receipt at `i`.
    private func bought(_ i: ReceiptIndex) -> (day: Int64, at: Int64) {
        switch i {
        case .recent(let k): return (recentReceipts[k].day, recentReceipts[k].at)
        case .older(let k): return (olderReceipts[k].day, olderReceipts[k].at)
        }
    }

    /// The receipt at `i` was just refunded in full.
    private mutating func purchaseWithdrawn(at i: ReceiptIndex) {
        let (day, at) = bought(i)
        let dayHeld = recentReceipts.contains { $0.day == day && $0.counts } || olderReceipts.contains { $0.day == day && $0.counts }
        if !dayHeld, let k = purchaseDays.firstIndex(of: day) { purchaseDays.remove(at: k) }
        guard at == lastPurchaseAt || at == firstPurchaseAt else { return }
        var first: Int64?, last: Int64?
        for r in recentReceipts where r.counts { first = min(first ?? r.at, r.at); last = max(last ?? r.at, r.at) }
        for r in olderReceipts where r.counts { first = min(first ?? r.at, r.at); last = max(last ?? r.at, r.at) }
        firstPurchaseAt = first
        lastPurchaseAt = last
    }

    /// The receipt at `i`, refunded in full before, has something left again.
    private mutating func purchaseRestored(at i: ReceiptIndex) {
        let (day, at) = bought(i)
        Self.addPurchaseDay(day, to: &purchaseDays)
        firstPurchaseAt = min(firstPurchaseAt ?? at, at)
        lastPurchaseAt = max(lastPurchaseAt ?? at, at)
    }

    /// Adds `day` to `days`, kept ascending without repeats: usually a new last day; otherwise a
    /// binary search for its place.
    static func addPurchaseDay(_ day: Int64, to days: inout SmallList<4, Int64>) {
        if let last = days.last, day <= last {
            guard day != last else { return }
            var lo = 0, hi = days.count
            while lo < hi { let mid = (lo + hi) / 2; if days[mid] < day { lo = mid + 1 } else { hi = mid } }
            if days[lo] != day { days.insert(day, at: lo) }
        } else {
            days.append(day)
        }
    }

    public init?(stored r: inout RecordReader) {
        registeredAt = r.optionalInt()
        homeStore = r.optionalString()
        offsetMinutes = Int16(clamping: r.int())
        purchaseDays = r.ints()
        receipts = Int(r.int())
        returns = Int(r.int())
        netSpend = r.int()
        currency = r.optionalString()
        categories = r.strings()
        visits = Int(r.int())
        lastVisitAt = r.optionalInt()
        lastPurchaseAt = r.optionalInt()
        firstPurchaseAt = r.optionalInt()
        openComplaints = r.strings()
        unresolvedComplaintSince = r.map()
        unhappyComplaints = r.strings()
        marketingChannels = r.strings()
        membership = r.bool()
        erased = r.bool()
        refusesProfiling = r.bool()
        let n = r.count()
        for _ in 0..<n where !r.failed {
            let id = r.string(), at = r.int(), total = r.int(), refunded = r.int(), day = r.int()
            recentReceipts.append(RecentReceipt(receipt: id, at: at, total: total, refunded: refunded, day: day))
        }
        let m = r.count()
        if m > 0, !r.failed {
            for _ in 0..<m where !r.failed { profileEvents.append(r.unsigned()) }
        }
        for i in 0..<ConsentMarks.count where !r.failed {
            consentMarks[i] = ConsentMarks.Mark(at: r.int(), sequence: UInt32(truncatingIfNeeded: r.unsigned()), state: UInt8(truncatingIfNeeded: r.unsigned()))
        }
        latestAt = r.int()
        let older = r.count()
        if older > 0, !r.failed {
            olderReceipts.reserveCapacity(older)
            for _ in 0..<older where !r.failed {
                olderReceipts.append(OlderReceipt(idHash: r.unsigned(), total: r.int(), refunded: r.int(), at: r.int(), day: r.int()))
            }
        }
        let exchanges = r.count()
        for _ in 0..<exchanges where !r.failed { exchangeReceipts.append(ExchangeReceipt(own: r.string(), original: r.string())) }
        if r.failed { return nil }
    }

    public func encode(to w: inout RecordWriter) {
        w.int(registeredAt)
        w.string(homeStore)
        w.int(Int64(offsetMinutes))
        w.ints(purchaseDays)
        w.int(receipts)
        w.int(returns)
        w.int(netSpend)
        w.string(currency)
        w.strings(categories)
        w.int(visits)
        w.int(lastVisitAt)
        w.int(lastPurchaseAt)
        w.int(firstPurchaseAt)
        w.strings(openComplaints)
        w.map(unresolvedComplaintSince)
        w.strings(unhappyComplaints)
        w.strings(marketingChannels)
        w.bool(membership)
        w.bool(erased)
        w.bool(refusesProfiling)
        w.unsigned(UInt64(recentReceipts.count))
        for x in recentReceipts { w.string(x.receipt); w.int(x.at); w.int(x.total); w.int(x.refunded); w.int(x.day) }
        w.unsigned(UInt64(profileEvents.count))
        for x in profileEvents { w.unsigned(x) }
        for i in 0..<ConsentMarks.count {
            let mark = consentMarks[i]
            w.int(mark.at); w.unsigned(UInt64(mark.sequence)); w.unsigned(UInt64(mark.state))
        }
        w.int(latestAt)
        w.unsigned(UInt64(olderReceipts.count))
        for x in olderReceipts { w.unsigned(x.idHash); w.int(x.total); w.int(x.refunded); w.int(x.at); w.int(x.day) }
        w.unsigned(UInt64(exchangeReceipts.count))
        for x in exchangeReceipts { w.string(x.own); w.string(x.original) }
    }

    /// The record as JSON, for `--format json` (stored records are binary).
    public var json: JSONValue {
        func n(_ v: Int64) -> JSONValue { .number(String(v)) }
        var m: [(String, JSONValue)] = []
        if let registeredAt { m.append(("registeredAt", n(registeredAt))) }
        if let homeStore { m.append(("homeStore", .string(homeStore))) }
        m.append(("offsetMinutes", n(Int64(offsetMinutes))))
        m.append(("purchaseDays", .array(purchaseDays.map(n))))
        m += [("receipts", n(Int64(receipts))), ("returns", n(Int64(returns))), ("netSpend", n(netSpend))]
        if let currency { m.append(("currency", .string(currency))) }
        m.append(("categories", .array(categories.map { .string($0) })))
        m.append(("visits", n(Int64(visits))))
        if let lastVisitAt { m.append(("lastVisitAt", n(lastVisitAt))) }
        if let lastPurchaseAt { m.append(("lastPurchaseAt", n(lastPurchaseAt))) }
        if let firstPurchaseAt { m.append(("firstPurchaseAt", n(firstPurchaseAt))) }
        m.append(("openComplaints", .array(openComplaints.map { .string($0) })))
        m.append(("unresolvedComplaintSince", .object(unresolvedComplaintSince.sorted { $0.key < $1.key }.map { ($0.key, n($0.value)) })))
        m.append(("badlyResolvedComplaints", n(Int64(badlyResolvedComplaints))))
        m.append(("unhappyComplaints", .array(unhappyComplaints.map { .string($0) })))
        m.append(("marketingChannels", .array(marketingChannels.map { .string($0) })))
        m.append(("membership", .bool(membership)))
        m.append(("erased", .bool(erased)))
        m.append(("refusesProfiling", .bool(refusesProfiling)))
        m.append(("recentReceipts", .array(recentReceipts.map { .object([("receipt", .string($0.receipt)), ("at", n($0.at)), ("total", n($0.total))]) })))
        return .object(m)
    }

    /// Whether the customer bought, net of returns: a purchase not refunded in full, and spend left
    /// after refunds (one whose every purchase was refunded is a prospect, "potential", as one who
    /// never came).
    public var hasBoughtNetOfReturns: Bool { Self.boughtNetOfReturns(purchaseDays: purchaseDays.count, netSpend: netSpend) }

    /// The rule of `hasBoughtNetOfReturns`, for figures read without a whole summary.
    /// A purchase left (a day with a receipt not refunded in full), and spend left: money paid on
    /// top of a receipt bought elsewhere (an exchange) without a purchase here leaves nothing to
    /// rank its recency or frequency by.
    static func boughtNetOfReturns(purchaseDays: Int, netSpend: Int64) -> Bool { purchaseDays > 0 && netSpend > 0 }

    /// Purchases counted BG/NBD's way: distinct days, the first one excluded.
    public var repeatPurchaseDays: Int { max(0, purchaseDays.count - 1) }
}

/// Folds every customer's events into their `CustomerSummary`.
/// Version 4: records stored in binary (`RecordWriter`), folded from the stored bytes.
/// Version 5: `profileEvents`, where the profile and consents are in the log.
/// Version 6: a channel withdrawn after a consent to every channel leaves the others, not all.
/// Version 7: exchanges change net spend by their difference and add their issued categories.
/// Version 8: consents weighed by business time (`consentMarks`), as `ConsentState` weighs them.
/// Version 9: a decision with a null channel is for every channel; membership only without one.
/// Version 10: the latest decision on profiling (`refusesProfiling`).
/// Version 11: the complaints last resolved to the customer's dissatisfaction (`unhappyComplaints`).
/// Version 12: a refund beyond what a recent receipt had left takes no more off net spend.
/// Version 13: a membership or profiling decision that names a channel decides the purpose.
/// Version 14: each customer's events folded in business-time order (`foldsInBusinessOrder`): a
/// complaint's filing or a receipt loaded after later events takes its place among them.
/// Version 15: a refund beyond what any of the customer's receipts had left takes no more off net
/// spend (`olderReceipts`: not only the five recent ones).
/// Version 16: an exchange's refund counts against its receipt; one paid on a receipt the customer
/// has no purchase of notes that receipt.
/// Version 17: a return of goods an exchange issued is capped by what the exchanged receipt has
/// left (`exchangeReceipts`).
/// Version 18: a receipt refunded in full is no purchase: its day leaves `purchaseDays` and its
/// time the first and last purchase, unless another purchase holds them (receipts keep their day).
public struct CustomerSummaryProjector: KeyedProjector {
    public static let name = "customer-summary"
    public static let version = 18
    public init() {}

    /// The last purchases, the open complaints, the home store and the refunds a receipt still
    /// had left all follow the order the customer's events happened in, whatever order their
    /// files were loaded in.
    public static var foldsInBusinessOrder: Bool { true }

    public func needsRefold(_ s: CustomerSummary) -> Bool { s.foldedOutOfOrder }

    public var eventKinds: EventKind.Set {
        EventKind.Set([.customerRegistered, .purchaseRecorded, .returnRecorded, .exchangeRecorded, .visitRecorded, .complaintFiled, .complaintReopened, .complaintResolved,
                       .complaintFeedbackReceived, .complaintClosed, .consentGranted, .consentWithdrawn, .customerErased, .customerProfileUpdated])
    }

    public func key(for event: borrowing FoldEvent) -> String? { event.customer }

    public func initial(key: String) -> CustomerSummary { CustomerSummary() }

    /// Adds a product category to the customer's, once (not "uncategorized").
    @inline(__always)
    static func keep(category c: JSONSpan, in s: inout CustomerSummary) {
        if c.isString, !c.equals(Upcasters.uncategorized), !s.categories.contains(where: { c.equals($0) }), let name = c.string { s.categories.append(name) }
    }

    public func apply(_ s: inout CustomerSummary, _ event: borrowing FoldEvent) {
        let at = event.occurredAt
        if at.microseconds < s.latestAt { s.foldedOutOfOrder = true } else { s.latestAt = at.microseconds }
        // System events (access records, erasures) are stamped in UTC; the store's own events tell its zone.
        if !event.isSystemChannel { s.offsetMinutes = at.offsetMinutes }
        switch event.kind {
        case .customerRegistered, .customerProfileUpdated, .consentGranted, .consentWithdrawn, .customerErased:
            s.profileEvents.append(event.sequence)
        default:
            break
        }
        switch event.kind {
        case .customerRegistered:
            s.registeredAt = s.registeredAt ?? at.microseconds
            if s.homeStore == nil { s.homeStore = event.store }
        case .purchaseRecorded:
            let day = (at.microseconds + Int64(at.offsetMinutes) * 60_000_000) / 86_400_000_000
            CustomerSummary.addPurchaseDay(day, to: &s.purchaseDays)
            s.receipts += 1
            let r = event.receipt
            let minor = r.amount
            s.netSpend += minor
            if s.currency == nil { s.currency = r.currency?.string }
            r.forEachCategory { c in Self.keep(category: c, in: &s) }
            s.firstPurchaseAt = min(s.firstPurchaseAt ?? at.microseconds, at.microseconds)
            s.lastPurchaseAt = max(s.lastPurchaseAt ?? at.microseconds, at.microseconds)
            if s.homeStore == nil { s.homeStore = event.store }
            if let receipt = r.receipt?.string {
                if s.recentReceipts.count >= 5 {
                    let dropped = s.recentReceipts.count - 4
                    for k in 0..<dropped { s.olderReceipts.append(CustomerSummary.OlderReceipt(s.recentReceipts[k])) }
                    s.recentReceipts.removeFirst(dropped)
                }
                s.recentReceipts.append(.init(receipt: receipt, at: at.microseconds, total: minor, day: day))
            }
        case .returnRecorded:
            s.returns += 1
            // Net of what its receipt still had to refund (a return keyed twice, at the desk and by
            // the POS export, takes nothing the second time): looked for among the recent receipts
            // first (most returns are of a recent purchase), then the older ones. A return of a
            // receipt the customer has none of is taken as it comes.
            var refund = event.receipt.amount
            if !s.exchangeReceipts.isEmpty, let named = event.receipt.originalReceipt?.string {
                // A customer who exchanged goods: the receipt named may be an exchange's own.
                refund = s.capRefund(refund, of: s.purchaseReceipt(of: named))
            } else if let original = event.receipt.originalReceipt {
                if let i = s.recentReceipts.firstIndex(where: { original.equals($0.receipt) }) {
                    refund = s.capRefund(refund, at: .recent(i))
                } else if !s.olderReceipts.isEmpty, let id = original.string, let i = s.olderIndex(of: id) {
                    refund = s.capRefund(refund, at: i)
                }
            }
            s.netSpend -= refund
        case .exchangeRecorded:
            // Goods swapped for others: spend changes by what was paid or refunded on top; the
            // goods issued count among what the customer buys.
            // Paid on top: the receipt the goods came from has that much more a return may refund
            // (one the customer has no purchase of is noted with it). Refunded on top: a refund
            // of that receipt like a return's. As loyalty takes them.
            var difference = event.exchangeDifference
            let named = event.payload["originalReceipt"]?.string
            let original = named.map { s.purchaseReceipt(of: $0) }
            if let original, let own = event.payload["receipt"]?.string, own != original, !s.exchangeReceipts.contains(where: { $0.own == own }) {
                s.exchangeReceipts.append(.init(own: own, original: original))
            }
            if difference > 0, let original {
                s.credit(difference, to: original)
            } else if difference < 0, let original {
                difference = -s.capRefund(-difference, of: original)
            }
            s.netSpend += difference
            FoldEvent.forEachCategory(inLines: event.exchangeIssued) { c in Self.keep(category: c, in: &s) }
        case .visitRecorded:
            s.visits += 1
            s.lastVisitAt = max(s.lastVisitAt ?? at.microseconds, at.microseconds)
        case .complaintFiled, .complaintReopened:
            if let id = event.member(.complaint)?.string {
                if !s.openComplaints.contains(id) { s.openComplaints.append(id) }
                s.unresolvedComplaintSince[id] = s.unresolvedComplaintSince[id] ?? at.microseconds
            }
        case .complaintResolved:
            if let id = event.member(.complaint)?.string { s.unresolvedComplaintSince[id] = nil }
        case .complaintFeedbackReceived:
            let id = event.member(.complaint)?.string ?? ""
            if event.member(.satisfied)?.bool == false {
                if id.isEmpty || !s.unhappyComplaints.contains(id) { s.unhappyComplaints.append(id) }
            } else if !id.isEmpty {
                s.unhappyComplaints.removeAll { $0 == id }
            }
        case .complaintClosed:
            if let id = event.member(.complaint)?.string {
                s.openComplaints.removeAll { $0 == id }
                s.unresolvedComplaintSince[id] = nil
            }
        case .consentGranted, .consentWithdrawn:
            let granted = event.kind == .consentGranted
            guard let purpose = event.member(.purpose) else { break }
            // As `ConsentState` decides: by business time, then recorded order.
            let mark = ConsentMarks.Mark(at: at.microseconds, sequence: UInt32(truncatingIfNeeded: event.sequence), state: granted ? 1 : 2)
            // A channel qualifies marketing only: membership and profiling decisions decide the purpose
            // whatever channel they name (`ConsentState` answers them so).
            let channel = event.member(.channel)?.string // nil (or null): every channel, as `ConsentState` reads it
            if purpose.equals("membership") {
                s.consentMarks.record(mark, at: ConsentMarks.membership, overriding: !granted)
                s.membership = s.consentMarks[ConsentMarks.membership].state == 1
            }
            if purpose.equals("marketing") {
                if let channel {
                    guard let c = ContactChannel.allCases.firstIndex(where: { $0.rawValue == channel }) else { break }
                    s.consentMarks.record(mark, at: ConsentMarks.firstChannel + c, overriding: false)
                } else {
                    s.consentMarks.record(mark, at: ConsentMarks.everyChannel, overriding: !granted)
                }
                if !s.erased { s.marketingChannels = s.consentMarks.marketingChannels }
            }
            if purpose.equals("profiling") {
                s.consentMarks.record(mark, at: ConsentMarks.profiling, overriding: false)
                s.refusesProfiling = s.consentMarks[ConsentMarks.profiling].state == 2
            }
        case .customerErased:
            s.erased = true
            s.marketingChannels.removeAll()
        default:
            break
        }
    }
}
