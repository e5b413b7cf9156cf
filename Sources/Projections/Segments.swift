import Ledger

/// How customers are put in segments: the thresholds of VIP / regular / potential (客户分类),
/// and the RFM scheme. Every value is a parameter; the defaults follow domain.md.
public struct SegmentRules: Sendable, Equatable {
    /// Net spend (minor units) from which a customer is a VIP.
    public var vipSpend: Int64 = 1_000_000
    /// Purchase days and product categories that together also make a VIP.
    public var vipFrequency = 6
    public var vipCategories = 3
    /// How many score levels R, F and M each take (5: quintiles, the standard; 3: Klaviyo-style tertiles).
    public var rfmLevels = 5
    /// Segment names by score code ("543" → "Loyal"); nil uses the standard 11-segment table of
    /// domain.md, which is defined for 5 levels. A code the table lacks is named by the code itself.
    public var rfmNames: [String: String]?
    public init() {}

    /// The segment name of an R, F, M score code under this scheme.
    public func rfmSegment(_ code: String) -> String? {
        if let rfmNames { return rfmNames[code] ?? code }
        return rfmLevels == 5 ? Segmentation.segmentOf[code] : code
    }

    /// The segment names reports list under this scheme, each even with no customer in it: the
    /// configured names, or the standard 11 at 5 levels; a scheme that names segments by their
    /// score codes lists those customers are in (`counted`: the names counted in a report).
    public func rfmSegmentNames(counted: some Sequence<String>) -> [String] {
        var names = Set(counted)
        if let rfmNames { names.formUnion(rfmNames.values) } else if rfmLevels == 5 { names.formUnion(Segmentation.rfmTable.keys) }
        return names.sorted()
    }
}

/// A customer's segment and RFM scores.
public struct SegmentAssignment: Sendable, Equatable {
    public enum Kind: String, Sendable, CaseIterable { case vip = "VIP", regular = "regular", potential = "potential" }
    public var kind: Kind
    /// R, F, M scores 1–5 (1–levels under another scheme; nil for customers who never bought).
    public var rfm: (r: Int, f: Int, m: Int)?
    /// The named RFM segment (Champions … Lost).
    public var rfmSegment: String?

    public init(kind: Kind, rfm: (r: Int, f: Int, m: Int)?, rfmSegment: String?) {
        self.kind = kind
        self.rfm = rfm
        self.rfmSegment = rfmSegment
    }

    public static func == (a: SegmentAssignment, b: SegmentAssignment) -> Bool {
        a.kind == b.kind && a.rfmSegment == b.rfmSegment && a.rfm?.r == b.rfm?.r && a.rfm?.f == b.rfm?.f && a.rfm?.m == b.rfm?.m
    }
}

/// Scores customers: VIP / regular / potential, and RFM 1–5 by quintiles over the customers who
/// bought, net of returns, and have not withdrawn consent to profiling (5 best; recency
/// reversed). Ties are ranked by first occurrence in customer-id order,
/// as pandas' `qcut(x.rank(method="first"), 5)` does, so most retail customers — who bought
/// once — still spread over the frequency quintiles.
public enum Segmentation {
    /// The standard 11-segment RFM table (domain.md, "Reference").
    public static let rfmTable: [String: [String]] = [
        "Champions": ["555", "554", "544", "545", "454", "455", "445"],
        "Loyal": ["543", "444", "435", "355", "354", "345", "344", "335"],
        "Potential Loyalist": ["553", "551", "552", "541", "542", "533", "532", "531", "452", "451", "442", "441", "431", "453", "433", "432", "423", "353", "352", "351", "342", "341", "333", "323"],
        "New": ["512", "511", "422", "421", "412", "411", "311"],
        "Promising": ["525", "524", "523", "522", "521", "515", "514", "513", "425", "424", "413", "414", "415", "315", "314", "313"],
        "Need Attention": ["535", "534", "443", "434", "343", "334", "325", "324"],
        "About To Sleep": ["331", "321", "312", "221", "213", "231", "241", "251"],
        "At Risk": ["255", "254", "245", "244", "253", "252", "243", "242", "235", "234", "225", "224", "153", "152", "145", "143", "142", "135", "134", "133", "125", "124"],
        "Can't Lose Them": ["155", "154", "144", "214", "215", "115", "114", "113"],
        "Hibernating": ["332", "322", "233", "232", "223", "222", "132", "123", "122", "212", "211"],
        "Lost": ["111", "112", "121", "131", "141", "151"],
    ]
    static let segmentOf: [String: String] = {
        var out: [String: String] = [:]
        for (name, codes) in rfmTable { for c in codes { out[c] = name } }
        return out
    }()

    /// Quintile scores 1–5 of values ranked by (value, then position): pandas' qcut over rank(method="first").
    public static func quintiles(_ values: [Double], higherIsBetter: Bool = true) -> [Int] {
        scores(values, levels: 5, higherIsBetter: higherIsBetter)
    }

    /// Scores 1…`levels` by equal-count bins of values ranked by (value, then position): pandas'
    /// `qcut(x.rank(method="first"), levels)`.
    public static func scores(_ values: [Double], levels: Int, higherIsBetter: Bool = true) -> [Int] {
        let n = values.count
        guard n > 0, levels >= 1 else { return [] }
        let order = values.indices.sorted { values[$0] != values[$1] ? values[$0] < values[$1] : $0 < $1 }
        var scores = [Int](repeating: 0, count: n)
        for (position, index) in order.enumerated() {
            scores[index] = score(rank: position + 1, of: n, levels: levels, higherIsBetter: higherIsBetter)
        }
        return scores
    }

    /// The score of the value ranked `rank` (1 for the lowest) of `n`: its bin of `levels` equal-count bins.
    static func score(rank: Int, of n: Int, levels: Int, higherIsBetter: Bool) -> Int {
        var score = levels
        for k in 1...levels where Double(rank) <= 1 + Double(n - 1) * Double(k) / Double(levels) { score = k; break }
        return higherIsBetter ? score : levels + 1 - score
    }

    /// VIP, regular or potential: decided by the customer's own spend, purchase days and
    /// categories against the rules' thresholds, not by ranks among the others.
    public static func kind(of s: CustomerSummary, rules: SegmentRules) -> SegmentAssignment.Kind {
        kind(Figures(s), rules: rules)
    }

    /// What ranking reads of a customer's summary.
    struct Figures {
        let receipts: Int, purchaseDays: Int, categories: Int
        let netSpend: Int64
        let lastPurchaseAt: Int64?
        /// False for a customer who withdrew consent to profiling (`CustomerSummary.refusesProfiling`).
        let profiled: Bool
        init(_ s: CustomerSummary) {
            receipts = s.receipts; purchaseDays = s.purchaseDays.count; categories = s.categories.count
            netSpend = s.netSpend; lastPurchaseAt = s.lastPurchaseAt; profiled = !s.refusesProfiling
        }
        init(receipts: Int, purchaseDays: Int, categories: Int, netSpend: Int64, lastPurchaseAt: Int64?, profiled: Bool) {
            self.receipts = receipts; self.purchaseDays = purchaseDays; self.categories = categories
            self.netSpend = netSpend; self.lastPurchaseAt = lastPurchaseAt; self.profiled = profiled
        }

        /// Whether the customer bought, net of returns (`CustomerSummary.hasBoughtNetOfReturns`): one
        /// whose every purchase was refunded is "potential" (潜在客户: registered, never bought),
        /// outside the RFM ranks.
        var bought: Bool { CustomerSummary.boughtNetOfReturns(purchaseDays: purchaseDays, netSpend: netSpend) }

        /// Whether the customer is scored against the others (RFM): a buyer who has not withdrawn
        /// consent to profiling.
        var ranked: Bool { bought && profiled }
    }

    /// The kind from the figures it depends on.
    static func kind(_ x: Figures, rules: SegmentRules) -> SegmentAssignment.Kind {
        guard x.bought else { return .potential }
        let vip = x.netSpend >= rules.vipSpend || (x.purchaseDays >= rules.vipFrequency && x.categories >= rules.vipCategories)
        return vip ? .vip : .regular
    }

    /// A customer's segment now: the kind from `summary` as it stands, the RFM scores from the
    /// last ranking of all customers (`ranked`, nil when they were not among them yet), and none
    /// for a customer who has not bought.
    public static func current(_ summary: CustomerSummary, ranked: SegmentAssignment?, rules: SegmentRules) -> SegmentAssignment {
        let figures = Figures(summary), kind = kind(figures, rules: rules)
        guard figures.ranked, let ranked, let rfm = ranked.rfm else { return SegmentAssignment(kind: kind, rfm: nil, rfmSegment: nil) }
        return SegmentAssignment(kind: kind, rfm: rfm, rfmSegment: ranked.rfmSegment)
    }

    /// Every customer's segment, as of `now` (recency counts from there).
    public static func assign(_ summaries: [(String, CustomerSummary)], now: Timestamp, rules: SegmentRules = SegmentRules()) -> [String: SegmentAssignment] {
        assign(RankingColumns(summaries), now: now, rules: rules)
    }

    /// Every customer's segment in `columns`, as of `now`.
    public static func assign(_ columns: RankingColumns, now: Timestamp, rules: SegmentRules = SegmentRules()) -> [String: SegmentAssignment] {
        let ids = columns.ids, figures = columns.figures
        let buyers = figures.indices.filter { figures[$0].ranked }
        let levels = rules.rfmLevels
        let r = scores(buyers.map { recency(figures[$0], now: now) }, levels: levels, higherIsBetter: false)
        let f = scores(buyers.map { Double(figures[$0].purchaseDays) }, levels: levels)
        let m = scores(buyers.map { Double(figures[$0].netSpend) }, levels: levels)
        var out: [String: SegmentAssignment] = [:]
        out.reserveCapacity(ids.count)
        for (i, position) in buyers.enumerated() {
            out[ids[position]] = assignment(figures[position], rfm: (r[i], f[i], m[i]), rules: rules)
        }
        for i in figures.indices where !figures[i].ranked {
            out[ids[i]] = SegmentAssignment(kind: kind(figures[i], rules: rules), rfm: nil, rfmSegment: nil)
        }
        return out
    }

    /// The segment of the customer at `position` in `columns`, as of `now`: what `assign(columns,
    /// now:rules:)` gives them, found in one pass over the others (their ranks are counted, not
    /// sorted), for one customer's 360.
    public static func assignment(at position: Int, in columns: RankingColumns, now: Timestamp, rules: SegmentRules = SegmentRules()) -> SegmentAssignment {
        let figures = columns.figures, x = figures[position]
        guard x.ranked else { return SegmentAssignment(kind: kind(x, rules: rules), rfm: nil, rfmSegment: nil) }
        let rx = recency(x, now: now), fx = Double(x.purchaseDays), mx = Double(x.netSpend)
        // Ranks by (value, then position), as `scores` sorts them: the buyers below, and those level
        // with the customer that come before them.
        var buyers = 0, rBelow = 0, fBelow = 0, mBelow = 0
        for j in figures.indices where figures[j].ranked {
            buyers += 1
            let before = j < position
            let rj = recency(figures[j], now: now), fj = Double(figures[j].purchaseDays), mj = Double(figures[j].netSpend)
            if rj < rx || (rj == rx && before) { rBelow += 1 }
            if fj < fx || (fj == fx && before) { fBelow += 1 }
            if mj < mx || (mj == mx && before) { mBelow += 1 }
        }
        let levels = rules.rfmLevels
        let rfm = (score(rank: rBelow + 1, of: buyers, levels: levels, higherIsBetter: false),
                   score(rank: fBelow + 1, of: buyers, levels: levels, higherIsBetter: true),
                   score(rank: mBelow + 1, of: buyers, levels: levels, higherIsBetter: true))
        return assignment(x, rfm: rfm, rules: rules)
    }

    /// Days since the last purchase, as of `now`.
    @inline(__always)
    static func recency(_ x: Figures, now: Timestamp) -> Double {
        Double(now.microseconds - (x.lastPurchaseAt ?? now.microseconds)) / 86_400_000_000
    }

    /// A buyer's segment from their figures and scores.
    static func assignment(_ x: Figures, rfm: (r: Int, f: Int, m: Int), rules: SegmentRules) -> SegmentAssignment {
        SegmentAssignment(kind: kind(x, rules: rules), rfm: rfm, rfmSegment: rules.rfmSegment("\(rfm.r)\(rfm.f)\(rfm.m)"))
    }
}
