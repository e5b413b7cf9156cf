import Ledger

/// What ranking a customer among all reads of every customer, in customer-id order: the figures
/// their RFM scores and kind come from (`Segmentation.Figures`), whether they were erased, the
/// zone of their latest event, and their purchase days (what BG/NBD is fitted on). One customer's
/// segment and churn risk (`Segmentation.assignment(at:in:now:rules:)`,
/// `ChurnModel.assess(_:summary:among:now:configuration:)`) rank them among these columns, so the
/// others' summaries need not be built: from the stored model, the columns are read straight from
/// each record's bytes (`ProjectionStore.rankingColumns(asOf:)`).
public struct RankingColumns {
    /// The customers' ids, ascending.
    public private(set) var ids: [String] = []
    var figures: [Segmentation.Figures] = []
    var erased: [Bool] = []
    var offsets: [Int16] = []
    /// Every customer's purchase days (ascending, without repeats), one customer after the other:
    /// customer i's are `days[dayStarts[i] ..< dayStarts[i + 1]]`.
    var days: [Int64] = []
    var dayStarts: [Int] = [0]

    /// How many customers.
    public var count: Int { ids.count }

    /// Empty columns, with room for `capacity` customers.
    init(capacity: Int) {
        ids.reserveCapacity(capacity)
        figures.reserveCapacity(capacity)
        erased.reserveCapacity(capacity)
        offsets.reserveCapacity(capacity)
        dayStarts.reserveCapacity(capacity + 1)
        days.reserveCapacity(3 * capacity)
    }

    /// The columns of `summaries` (folded as of a past point, say), put in id order when they are not.
    public init(_ summaries: [(String, CustomerSummary)]) {
        self.init(capacity: summaries.count)
        var order = Array(summaries.indices)
        if !order.dropFirst().allSatisfy({ summaries[$0 - 1].0 < summaries[$0].0 }) {
            order.sort { summaries[$0].0 < summaries[$1].0 }
        }
        for i in order { append(summary: summaries[i].1, id: summaries[i].0) }
    }

    /// Adds customer `id`, whose summary is `s`, after the last.
    mutating func append(summary s: CustomerSummary, id: String) {
        append(id: id, figures: Segmentation.Figures(s), erased: s.erased, offset: s.offsetMinutes)
        days.append(contentsOf: s.purchaseDays)
        dayStarts.append(days.count)
    }

    /// Adds a customer after the last (their days are appended to `days` next, then closed with
    /// `dayStarts`).
    mutating func append(id: String, figures f: Segmentation.Figures, erased e: Bool, offset: Int16) {
        ids.append(id)
        figures.append(f)
        erased.append(e)
        offsets.append(offset)
    }

    /// The position of `id`, if it is among the customers.
    public func position(of id: String) -> Int? {
        var lo = 0, hi = ids.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if ids[mid] < id { lo = mid + 1 } else { hi = mid }
        }
        return lo < ids.count && ids[lo] == id ? lo : nil
    }

    /// Takes one customer's figures from `summary` (the 360's own, read a moment later), so that
    /// the segment shown agrees with the figures shown beside it.
    mutating func update(at position: Int, from summary: CustomerSummary) {
        figures[position] = Segmentation.Figures(summary)
        erased[position] = summary.erased
    }

    /// Calls `body` with customer `i`'s purchase days, counted from 0.
    func withDays<R>(of i: Int, _ body: (UnsafeBufferPointer<Int64>) throws -> R) rethrows -> R {
        try days.withUnsafeBufferPointer { all in
            try body(UnsafeBufferPointer(rebasing: all[dayStarts[i] ..< dayStarts[i + 1]]))
        }
    }
}

extension CustomerSummary {
    /// Adds the customer whose stored summary is `bytes` to `columns`, reading only what ranking
    /// needs: the fields of `init(stored:)` in its order, the others passed over without being
    /// built (a summary holds strings and lists; a million of them took seconds to build).
    /// - Returns: false when the record is damaged.
    static func appendRanking(stored bytes: UnsafeRawBufferPointer, id: String, to columns: inout RankingColumns) -> Bool {
        var r = RecordReader(bytes)
        _ = r.optionalInt() // registeredAt
        r.skipOptionalString() // homeStore
        let offset = Int16(clamping: r.int())
        let dayCount = r.count()
        for _ in 0..<dayCount where !r.failed { columns.days.append(r.int()) }
        let receipts = Int(r.int())
        _ = r.int() // returns
        let netSpend = r.int()
        r.skipOptionalString() // currency
        let categories = r.skipStrings()
        _ = r.int() // visits
        _ = r.optionalInt() // lastVisitAt
        let lastPurchaseAt = r.optionalInt()
        _ = r.optionalInt() // firstPurchaseAt
        r.skipStrings() // openComplaints
        r.skipMap() // unresolvedComplaintSince
        r.skipStrings() // unhappyComplaints
        r.skipStrings() // marketingChannels
        _ = r.bool() // membership
        let erased = r.bool()
        let refusesProfiling = r.bool()
        guard !r.failed else {
            columns.days.removeLast(columns.days.count - columns.dayStarts[columns.dayStarts.count - 1])
            return false
        }
        let figures = Segmentation.Figures(receipts: receipts, purchaseDays: dayCount, categories: categories, netSpend: netSpend, lastPurchaseAt: lastPurchaseAt,
                                           profiled: !refusesProfiling)
        columns.append(id: id, figures: figures, erased: erased, offset: offset)
        columns.dayStarts.append(columns.days.count)
        return true
    }
}

extension ProjectionStore {
    /// Every customer's ranking columns — live (the stored summaries, caught up first, read from
    /// their bytes) or from the summaries folded as of `point` — and the moment they describe (as
    /// `snapshot(_:asOf:)`).
    public func rankingColumns(asOf point: AsOf?) throws -> (columns: RankingColumns, now: Timestamp) {
        let projector = CustomerSummaryProjector()
        guard point == nil else {
            let (summaries, now) = try customerSummaries(asOf: point)
            return (RankingColumns(summaries), now)
        }
        try catchUp(projector)
        // Merged records rank as the person they are: left out, their survivor's row folded from
        // the whole group (as `customerSummaries`).
        var order = try mergedSummaryOrder()
        var columns = RankingColumns(capacity: try storedCount(projector))
        try storedBytes(projector) { key, value in
            let id = String(decoding: key, as: UTF8.self)
            if order != nil {
                guard let use = order!.visit(id, emit: { columns.append(summary: $1, id: $0) }) else { return true }
                if let s = use {
                    columns.append(summary: s, id: id)
                    return true
                }
            }
            guard CustomerSummary.appendRanking(stored: value, id: id, to: &columns) else {
                throw ProjectionError.damaged(model: CustomerSummaryProjector.name, key: id)
            }
            return true
        }
        order?.finish { columns.append(summary: $1, id: $0) }
        return (columns, Timestamp.now())
    }

    /// The segment and churn risk of customer `id`, whose summary (live, or as of `point`) is
    /// `summary`, ranked among every customer as of the same point: RFM scores are ranks among
    /// all buyers, and BG/NBD is fitted over all of them. Nil for a customer not among them; the
    /// churn risk is nil also when they never bought, were erased, withdrew consent to profiling,
    /// or the fit failed.
    public func ranking(of id: String, summary: CustomerSummary, asOf point: AsOf?,
                        configuration: ClienteleConfiguration) throws -> (segment: SegmentAssignment?, churn: ChurnAssessment?) {
        var (columns, now) = try rankingColumns(asOf: point)
        guard let position = columns.position(of: id) else { return (nil, nil) }
        columns.update(at: position, from: summary)
        let segment = Segmentation.assignment(at: position, in: columns, now: now, rules: configuration.segments)
        let churn = try? ChurnModel.assess(id, summary: summary, among: columns, now: now, configuration: configuration)
        return (segment, churn ?? nil)
    }
}
