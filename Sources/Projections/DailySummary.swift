import CustomerEvents
import Ledger
import LedgerJSON

/// One store's day (工作总结): visits, purchases and revenue, returns and their reasons,
/// complaints opened and closed by category, callbacks done. Keyed `store|YYYY-MM-DD` in the
/// store's local date. Breaches are read from the complaint records when the report is made.
public struct DailySummary: ProjectionRecord, Sendable, Equatable {
    public var visits = 0
    public var purchases = 0
    /// Sales and refunds (minor units) in `currency`: the day's main currency, the one of most of
    /// its sales (then of its refunds, then the first by code), whatever order the receipts were
    /// folded in (live, rebuilt and as of any point agree).
    public var revenue: Int64 = 0
    public var currency: String?
    public var returns = 0
    public var refunded: Int64 = 0
    /// Sales and refunds in any other currency, by its code: a store that takes more than one
    /// currency never has them summed together.
    public var otherCurrencies: [String: Takings] = [:]

    /// A day's sales and refunds in one currency (minor units).
    public struct Takings: Sendable, Equatable {
        public var revenue: Int64 = 0
        public var refunded: Int64 = 0
        public init(revenue: Int64 = 0, refunded: Int64 = 0) { self.revenue = revenue; self.refunded = refunded }
    }

    /// Every currency of the day with its takings, the day's main currency first (then by code);
    /// `fallback` names the currency of a day with no sale or refund.
    public func takings(fallback: String) -> [(currency: String, takings: Takings)] {
        [(currency ?? fallback, Takings(revenue: revenue, refunded: refunded))]
            + otherCurrencies.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
    }
    public var returnReasons: [String: Int] = [:]
    public var complaintsOpened = 0
    public var complaintsClosed = 0
    public var complaintCategories: [String: Int] = [:]
    public var openedComplaints: [String] = []
    public var callbacks = 0
    /// Callbacks that reached the customer.
    public var callbacksReached = 0
    public var csatSum: Int64 = 0
    public var csatCount = 0
    public var newCustomers = 0

    public init() {}

    public init?(stored r: inout RecordReader) {
        visits = Int(r.int()); purchases = Int(r.int()); revenue = r.int(); currency = r.optionalString()
        returns = Int(r.int()); refunded = r.int(); returnReasons = r.map().mapValues { Int($0) }
        complaintsOpened = Int(r.int()); complaintsClosed = Int(r.int()); complaintCategories = r.map().mapValues { Int($0) }
        openedComplaints = r.strings()
        callbacks = Int(r.int()); csatSum = r.int(); csatCount = Int(r.int()); newCustomers = Int(r.int())
        callbacksReached = Int(r.int())
        let n = r.count()
        for _ in 0..<n where !r.failed { otherCurrencies[r.string()] = Takings(revenue: r.int(), refunded: r.int()) }
        if r.failed { return nil }
    }

    public func encode(to w: inout RecordWriter) {
        w.int(visits); w.int(purchases); w.int(revenue); w.string(currency)
        w.int(returns); w.int(refunded); w.map(returnReasons.mapValues { Int64($0) })
        w.int(complaintsOpened); w.int(complaintsClosed); w.map(complaintCategories.mapValues { Int64($0) })
        w.strings(openedComplaints)
        w.int(callbacks); w.int(csatSum); w.int(csatCount); w.int(newCustomers)
        w.int(callbacksReached)
        w.unsigned(UInt64(otherCurrencies.count))
        for (code, t) in otherCurrencies.sorted(by: { $0.key < $1.key }) { w.string(code); w.int(t.revenue); w.int(t.refunded) }
    }

    /// The record as JSON, for `--format json` (stored records are binary).
    public var json: JSONValue {
        func n(_ v: Int) -> JSONValue { .number(String(v)) }
        func counts(_ d: [String: Int]) -> JSONValue { .object(d.sorted { $0.key < $1.key }.map { ($0.key, n($0.value)) }) }
        var m: [(String, JSONValue)] = [("visits", n(visits)), ("purchases", n(purchases)), ("revenue", .number(String(revenue)))]
        if let currency { m.append(("currency", .string(currency))) }
        if !otherCurrencies.isEmpty {
            m.append(("otherCurrencies", .object(otherCurrencies.sorted { $0.key < $1.key }.map {
                ($0.key, .object([("revenue", .number(String($0.value.revenue))), ("refunded", .number(String($0.value.refunded)))]))
            })))
        }
        m += [("returns", n(returns)), ("refunded", .number(String(refunded))), ("returnReasons", counts(returnReasons)),
              ("complaintsOpened", n(complaintsOpened)), ("complaintsClosed", n(complaintsClosed)),
              ("complaintCategories", counts(complaintCategories)), ("openedComplaints", .array(openedComplaints.map { .string($0) })),
              ("callbacks", n(callbacks)), ("callbacksReached", n(callbacksReached)), ("csatSum", .number(String(csatSum))), ("csatCount", n(csatCount)), ("newCustomers", n(newCustomers))]
        return .object(m)
    }

    /// Average CSAT of the day's callbacks.
    public var csat: Double? { csatCount > 0 ? Double(csatSum) / Double(csatCount) : nil }
}

/// Folds each event into its store's day.
/// Version 2: records stored in binary (`RecordWriter`), folded from the stored bytes.
/// Version 3: `callbacksReached`.
/// Version 4: a day with refunds only takes their currency.
/// Version 5: sales and refunds in another currency than the day's main one are kept apart.
public struct DailySummaryProjector: KeyedProjector {
    public static let name = "daily-summary"
    public static let version = 5
    public init() {}

    /// A store's day in memory: the store and the local day number (formatted only when stored).
    public struct StoreDay: Hashable, Sendable {
        public var store: String
        public var day: Int64
    }

    /// The key of a store's day: `store|YYYY-MM-DD`.
    public static func key(store: String, at t: Timestamp) -> String {
        key(StoreDay(store: store, day: localDay(t)))
    }

    static func localDay(_ t: Timestamp) -> Int64 {
        let local = t.microseconds + Int64(t.offsetMinutes) * 60_000_000
        return local >= 0 ? local / 86_400_000_000 : (local - 86_399_999_999) / 86_400_000_000
    }

    static func key(_ k: StoreDay) -> String {
        let (y, m, d) = Timestamp.civil(fromDays: k.day)
        return "\(k.store)|\(y)-\(m < 10 ? "0" : "")\(m)-\(d < 10 ? "0" : "")\(d)"
    }

    public func storageKey(_ key: StoreDay) -> String { Self.key(key) }

    public var eventKinds: EventKind.Set {
        EventKind.Set([.visitRecorded, .purchaseRecorded, .returnRecorded, .complaintFiled, .complaintClosed, .callbackLogged, .customerRegistered])
    }

    public func key(for event: borrowing FoldEvent) -> StoreDay? {
        StoreDay(store: event.store, day: Self.localDay(event.occurredAt))
    }

    public func initial(key: StoreDay) -> DailySummary { DailySummary() }

    public func apply(_ s: inout DailySummary, _ event: borrowing FoldEvent) {
        switch event.kind {
        case .visitRecorded: s.visits += 1
        case .customerRegistered: s.newCustomers += 1
        case .purchaseRecorded:
            s.purchases += 1
            Self.take(event.receipt.amount, refund: false, in: event.receipt.currency, into: &s)
        case .returnRecorded:
            s.returns += 1
            Self.take(event.receipt.amount, refund: true, in: event.receipt.currency, into: &s)
            s.returnReasons[event.receipt.reason?.string ?? "(no reason given)", default: 0] += 1
        case .complaintFiled:
            s.complaintsOpened += 1
            s.complaintCategories[event.member(.category)?.string ?? "other", default: 0] += 1
            if let id = event.member(.complaint)?.string { s.openedComplaints.append(id) }
        case .complaintClosed: s.complaintsClosed += 1
        case .callbackLogged:
            s.callbacks += 1
            // Read from the payload (not among the members the scan finds): callbacks are few.
            if event.payload["reached"]?.bool == true { s.callbacksReached += 1 }
            if let c = event.member(.csat)?.int64 { s.csatSum += c; s.csatCount += 1 }
        default: break
        }
    }

    /// Adds a sale or a refund to the day's takings in its currency: the day's main currency
    /// (compared in place: no text is made per receipt), or another one, kept apart. Another
    /// currency that comes to outweigh the main one (more sales, then more refunds, then first by
    /// code) takes its place, so the main currency follows from the day's totals, not from the
    /// order its receipts came in.
    @inline(__always)
    static func take(_ amount: Int64, refund: Bool, in currency: JSONSpan?, into s: inout DailySummary) {
        if let code = currency, let main = s.currency, !code.equals(main) {
            let other = code.string ?? "?"
            var t = s.otherCurrencies[other, default: DailySummary.Takings()]
            if refund { t.refunded += amount } else { t.revenue += amount }
            if (t.revenue, t.refunded) > (s.revenue, s.refunded) || ((t.revenue, t.refunded) == (s.revenue, s.refunded) && other < main) {
                s.otherCurrencies[other] = nil
                s.otherCurrencies[main] = DailySummary.Takings(revenue: s.revenue, refunded: s.refunded)
                (s.currency, s.revenue, s.refunded) = (other, t.revenue, t.refunded)
            } else {
                s.otherCurrencies[other] = t
            }
            return
        }
        if s.currency == nil { s.currency = currency?.string }
        if refund { s.refunded += amount } else { s.revenue += amount }
    }
}

extension ProjectionStore {
    /// One store's day (`store|date` of the daily summary model): live, or folded as of `point`;
    /// empty when nothing happened. `clientele report daily` and `GET /v1/reports/daily` both ask it.
    /// - Parameter catchingUp: catch the live model up first (false when the caller just did).
    /// - Complexity: one record read when live; with a point, a fold of the log up to it.
    public func dailySummary(store: String, date: String, asOf point: AsOf?, catchingUp: Bool = true) throws -> DailySummary {
        let key = "\(store)|\(date)"
        if let point { return try fold(DailySummaryProjector(), asOf: point)[key] ?? DailySummary() }
        return try (catchingUp ? record(DailySummaryProjector(), key: key) : storedRecord(DailySummaryProjector(), key: key)) ?? DailySummary()
    }
}
