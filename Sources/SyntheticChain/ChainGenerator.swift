#if canImport(Glibc)
import Glibc
#endif
import CustomerEvents
import Ledger
import LedgerJSON

/// A believable synthetic store chain: customers who register, consent, buy by a Poisson process
/// and drop out after a purchase with some probability (the BG/NBD story), with baskets of
/// categorised lines, returns, visits without purchase, complaints whose handling sometimes breaks
/// its SLA, callbacks with satisfaction, consents withdrawn, birthday greetings.
///
/// Deterministic: one seed gives the same chain, event for event. It feeds demos, tests and benchmarks.
public struct ChainGenerator {
    public let parameters: ChainParameters

    /// A planned action: what happens, to whom, when in the day.
    struct Action {
        var second: Int32
        var customer: Int32
        var kind: UInt8
        var aux: UInt32
    }

    enum Kind {
        static let register: UInt8 = 0, purchase: UInt8 = 1, returned: UInt8 = 2, visit: UInt8 = 3
        static let callback: UInt8 = 4, birthday: UInt8 = 5, withdrawal: UInt8 = 6
        static let complaintBase: UInt8 = 20 // + step
    }

    static let complaintSteps = ["ComplaintFiled", "ComplaintAcknowledged", "ComplaintVerified", "ComplaintAwaitingCustomer", "ComplaintResumed",
                                 "ComplaintPlanProposed", "ComplaintEscalated", "ComplaintActionTaken", "ComplaintResolved",
                                 "ComplaintFeedbackReceived", "ComplaintReopened", "CallbackLogged", "ComplaintClosed"]

    private var days: [[Action]]
    private var receipts: [(customer: Int32, day: Int32, second: Int32)] = []
    private var complaints: [(customer: Int32, receipt: UInt32)] = []

    /// Plans the whole chain (the timelines of every customer); `run` then writes it out day by day.
    public init(_ parameters: ChainParameters) {
        self.parameters = parameters
        days = Array(repeating: [], count: max(1, parameters.days))
        for c in 0..<parameters.customers { plan(customer: Int32(c)) }
    }

    /// How many events `run` will emit (planned actions expand to one or more events).
    public var plannedActions: Int { days.reduce(0) { $0 + $1.count } }

    private mutating func schedule(_ t: Double, customer: Int32, kind: UInt8, aux: UInt32 = 0) {
        guard t >= 0, t < Double(parameters.days) else { return }
        let day = Int(t)
        days[day].append(Action(second: Int32((t - Double(day)) * 86_400), customer: customer, kind: kind, aux: aux))
    }

    /// A time of day in shop hours (10:00–21:30), as a fraction of the day.
    private func shopTime(_ day: Double, _ rng: inout ChainRandom) -> Double {
        floor(day) + (10 * 3600 + Double(rng.below(11 * 3600 + 1800))) / 86_400
    }

    private mutating func plan(customer c: Int32) {
        let p = parameters
        var rng = ChainRandom(seed: p.seed, stream: 1, item: UInt64(c))
        let registered = shopTime(Double(rng.below(p.days)) * (rng.chance(0.3) ? 0.1 : 1), &rng)
        schedule(registered, customer: c, kind: Kind.register)
        // Birthday greetings and withdrawals for those who consented to marketing (decided the same way at emission).
        let profile = ChainProfile(seed: p.seed, customer: c, marketingConsent: p.marketingConsent)
        if profile.marketingChannel != nil && rng.chance(p.withdrawal) {
            schedule(registered + rng.exponential(rate: 1.0 / 120), customer: c, kind: Kind.withdrawal)
        }
        if profile.marketingChannel != nil {
            var day = Double(profile.birthdayDayOfYear)
            while day < Double(p.days) {
                if day > registered { schedule(floor(day) + 9.0 / 24, customer: c, kind: Kind.birthday) }
                day += 365
            }
        }
        let rate = max(1e-4, rng.gamma(shape: p.purchaseShape, scale: p.purchaseRateScale))
        let dropout = rng.beta(p.dropoutA, p.dropoutB)
        var t = registered + (rng.chance(0.5) ? 0.01 : rng.exponential(rate: rate))
        var alive = true
        var lastActive = registered
        while alive && t < Double(p.days) {
            let at = shopTime(t, &rng)
            let receipt = UInt32(receipts.count)
            receipts.append((c, Int32(at), 0))
            schedule(at, customer: c, kind: Kind.purchase, aux: receipt)
            if rng.chance(p.returnChance) { schedule(shopTime(at + 1 + Double(rng.below(13)), &rng), customer: c, kind: Kind.returned, aux: receipt) }
            if rng.chance(p.callbackChance) { schedule(at + 2 + rng.unit(), customer: c, kind: Kind.callback, aux: receipt) }
            if rng.chance(p.complaintChance) { planComplaint(customer: c, receipt: receipt, at: at + 0.5 + Double(rng.below(4)), &rng) }
            lastActive = at
            alive = !rng.chance(dropout)
            t = at + rng.exponential(rate: rate)
        }
        // Visits without a purchase while the customer is still around.
        let end = alive ? Double(p.days) : lastActive + 30
        var v = registered + rng.exponential(rate: rate * p.visitRatio)
        while v < end {
            schedule(shopTime(v, &rng), customer: c, kind: Kind.visit)
            v += rng.exponential(rate: rate * p.visitRatio)
        }
    }

    private mutating func planComplaint(customer c: Int32, receipt: UInt32, at filed: Double, _ rng: inout ChainRandom) {
        let n = UInt32(complaints.count)
        complaints.append((c, receipt))
        var t = shopTime(filed, &rng)
        let hour = 1.0 / 24
        func step(_ index: Int, after delay: Double) {
            t += delay
            schedule(t, customer: c, kind: Kind.complaintBase + UInt8(index), aux: n)
        }
        step(0, after: 0)
        step(1, after: rng.exponential(rate: 1 / (0.7 * hour)))           // acknowledged: mean 42 min, target 1 h
        step(2, after: rng.exponential(rate: 1 / (1.5 * hour)))           // verified
        if rng.chance(0.12) {
            step(3, after: 0.2 * hour)                                    // waiting on the customer
            step(4, after: (2 + Double(rng.below(30))) * hour)            // resumed
        }
        step(5, after: rng.exponential(rate: 1 / (2.5 * hour)))           // plan: target 4 h
        if rng.chance(0.15) { step(6, after: 0.5 * hour) }                // escalated
        step(7, after: rng.exponential(rate: 1 / (10 * hour)))            // action: close target 24 h
        step(8, after: 0.5 * hour)                                        // resolved
        let satisfied = rng.chance(0.8)
        step(9, after: (2 + Double(rng.below(20))) * hour)                // feedback
        if !satisfied {
            step(10, after: 0.1 * hour)                                   // reopened
            step(7, after: rng.exponential(rate: 1 / (12 * hour)))
            step(8, after: 0.5 * hour)
            step(9, after: (2 + Double(rng.below(20))) * hour)
        }
        step(11, after: 1 + rng.unit())                                  // callback a day or two later
        step(12, after: 0.01)                                             // closed
    }

    /// Receipt numbers in the order receipts are written, as a POS hands them out: a receipt is
    /// planned customer by customer, but numbered when it first appears in the chain's time order.
    struct ReceiptNumbers {
        private var numbers: [UInt32]
        private var next: UInt32 = 0

        init(receipts: Int) { numbers = Array(repeating: .max, count: receipts) }

        /// The number of planned receipt `receipt` (its purchase, or whatever mentions it first).
        mutating func callAsFunction(_ receipt: UInt32) -> String {
            if numbers[Int(receipt)] == .max {
                numbers[Int(receipt)] = next
                next += 1
            }
            return ChainBasket.receiptNumber(numbers[Int(receipt)])
        }
    }

    /// Writes the chain out in time order, one envelope (JSON) at a time.
    public func run(_ emit: (JSONValue) throws -> Void) rethrows {
        let p = parameters
        let zone = p.offsetMinutes
        var numbers = ReceiptNumbers(receipts: receipts.count)
        for (day, actions) in days.enumerated() {
            let sorted = actions.sorted { ($0.second, $0.customer, $0.kind) < ($1.second, $1.customer, $1.kind) }
            for a in sorted {
                let at = Timestamp(microseconds: p.start.microseconds + (Int64(day) * 86_400 + Int64(a.second)) * 1_000_000, offsetMinutes: zone)
                try emitAction(a, at: at, numbers: &numbers, emit)
            }
        }
    }

    private func envelope(_ type: String, _ customer: Int32, store: String, actor: String, channel: String, at: Timestamp,
                          id: String, version: Int = 1, _ payload: [(String, JSONValue)]) -> JSONValue {
        var members: [(String, JSONValue)] = [
            ("type", .string(type)), ("customer", .string(ChainProfile.customerId(customer))), ("store", .string(store)),
            ("actor", .string(actor)), ("channel", .string(channel)), ("occurredAt", .string(at.iso8601)),
            ("source", .string("synthetic:\(parameters.seed)")), ("externalId", .string(id)), ("payload", .object(payload)),
        ]
        if version != 1 { members.insert(("schemaVersion", .number(String(version))), at: 1) }
        return .object(members)
    }

    private func emitAction(_ a: Action, at: Timestamp, numbers: inout ReceiptNumbers, _ emit: (JSONValue) throws -> Void) rethrows {
        let p = parameters
        let c = a.customer
        let profile = ChainProfile(seed: p.seed, customer: c, marketingConsent: p.marketingConsent)
        let store = ChainProfile.storeId(profile.homeStore % p.stores)
        let cid = ChainProfile.customerId(c)
        switch a.kind {
        case Kind.register:
            let staff = ChainProfile.staffId(store, profile.homeStore)
            try emit(envelope("CustomerRegistered", c, store: store, actor: staff, channel: "counter", at: at, id: "\(cid)/registered", profile.registration))
            try emit(envelope("ConsentGranted", c, store: store, actor: staff, channel: "counter", at: at, id: "\(cid)/consent/membership",
                              [("purpose", .string("membership")), ("policyVersion", .string("2025-01"))]))
            if let channel = profile.marketingChannel {
                try emit(envelope("ConsentGranted", c, store: store, actor: staff, channel: "counter", at: at, id: "\(cid)/consent/marketing",
                                  [("purpose", .string("marketing")), ("channel", .string(channel)), ("policyVersion", .string("2025-01"))]))
            }
        case Kind.withdrawal:
            let channel = profile.marketingChannel ?? "sms"
            try emit(envelope("ConsentWithdrawn", c, store: store, actor: "web", channel: "web", at: at, id: "\(cid)/withdrawn",
                              [("purpose", .string("marketing")), ("channel", .string(channel)), ("policyVersion", .string("2025-01"))]))
        case Kind.birthday:
            try emit(envelope("CareContactMade", c, store: store, actor: "care-bot", channel: "system", at: at, id: "\(cid)/birthday/\(at.iso8601.prefix(4))",
                              [("kind", .string("birthday-greeting")), ("channel", .string(profile.marketingChannel ?? "sms")), ("outcome", .string("sent"))]))
        case Kind.visit:
            try emit(envelope("VisitRecorded", c, store: store, actor: ChainProfile.staffId(store, Int(a.second)), channel: "counter", at: at,
                              id: "\(cid)/visit/\(at.microseconds)", [("kind", .string(a.second % 7 == 0 ? "served-at-desk" : "walk-in"))]))
        case Kind.purchase:
            let basket = ChainBasket(seed: p.seed, receipt: a.aux, currency: p.currency)
            let receiptStore = basket.awayStore.map { ChainProfile.storeId($0 % p.stores) } ?? store
            let cashier = ChainProfile.staffId(receiptStore, Int(a.aux))
            let number = numbers(a.aux)
            try emit(envelope("PurchaseRecorded", c, store: receiptStore, actor: "pos-import", channel: "pos", at: at, id: number, version: 2,
                              [("receipt", .string(number)), ("lines", .array(basket.lines.map(\.json))), ("total", basket.total.json),
                               ("payment", .string(basket.payment)), ("cashier", .string(cashier))]))
            try emit(envelope("PointsEarned", c, store: receiptStore, actor: "pos-import", channel: "pos", at: at, id: number + "/points",
                              [("points", .number(String(max(1, basket.total.minor / 100)))), ("receipt", .string(number))]))
        case Kind.returned:
            let basket = ChainBasket(seed: p.seed, receipt: a.aux, currency: p.currency)
            let line = basket.lines[0]
            let number = numbers(a.aux)
            let refund = Money(minor: line.amount, currency: p.currency)
            try emit(envelope("ReturnRecorded", c, store: store, actor: "pos-import", channel: "pos", at: at, id: number + "/return",
                              [("receipt", .string(number + "-R")), ("originalReceipt", .string(number)),
                               ("lines", .array([.object([("sku", .string(line.sku)), ("quantity", .number(String(line.quantity))),
                                                          ("refund", refund.json), ("originalLine", .number("1"))])])),
                               ("refund", refund.json), ("reason", .string(ChainBasket.returnReasons[Int(a.aux) % ChainBasket.returnReasons.count]))]))
        case Kind.callback:
            var rng = ChainRandom(seed: p.seed, stream: 5, item: UInt64(a.aux))
            let reached = rng.chance(0.75)
            var payload: [(String, JSONValue)] = [("reached", .bool(reached)), ("purpose", .string("purchase"))]
            if reached {
                let csat = 1 + min(4, Int(rng.beta(5, 1.6) * 5))
                payload += [("csat", .number(String(csat))), ("nps", .number(String(min(10, csat * 2 + rng.below(2)))))]
            }
            try emit(envelope("CallbackLogged", c, store: store, actor: ChainProfile.staffId(store, Int(a.aux) + 1), channel: "phone", at: at,
                              id: numbers(a.aux) + "/callback", payload))
        default:
            try emitComplaintStep(Int(a.kind - Kind.complaintBase), complaint: a.aux, customer: c, store: store, at: at, numbers: &numbers, emit)
        }
    }

    private func emitComplaintStep(_ step: Int, complaint n: UInt32, customer c: Int32, store: String, at: Timestamp,
                                   numbers: inout ReceiptNumbers, _ emit: (JSONValue) throws -> Void) rethrows {
        var rng = ChainRandom(seed: parameters.seed, stream: 7, item: UInt64(n))
        let id = "CP-\(100_000 + n)"
        let categories = ["product-quality", "service-attitude", "logistics", "price", "environment", "other"]
        let weights = [0.45, 0.2, 0.1, 0.1, 0.1, 0.05]
        var pick = rng.unit(), category = categories[0]
        for (i, w) in weights.enumerated() { if pick < w { category = categories[i]; break }; pick -= w }
        let severity = ["low", "medium", "medium", "high", "critical"][rng.below(5)]
        let satisfied = rng.chance(0.8)
        let staff = ChainProfile.staffId(store, Int(n))
        var payload: [(String, JSONValue)] = [("complaint", .string(id))]
        let type = ChainGenerator.complaintSteps[step]
        switch type {
        case "ComplaintFiled":
            payload += [("category", .string(category)), ("severity", .string(severity)),
                        ("description", .string(ChainBasket.complaintTexts[category] ?? "Not happy")), ("receipt", .string(numbers(complaints[Int(n)].receipt)))]
        case "ComplaintPlanProposed": payload.append(("plan", .string(category == "product-quality" ? "replace" : "apology")))
        case "ComplaintActionTaken": payload.append(("action", .string(category == "product-quality" ? "replace" : "apology")))
        case "ComplaintEscalated": payload += [("to", .string("manager-" + store)), ("reason", .string("severity \(severity)"))]
        case "ComplaintAwaitingCustomer": payload.append(("reason", .string("waiting for photos")))
        case "ComplaintFeedbackReceived": payload.append(("satisfied", .bool(at.microseconds % 2 == 0 ? satisfied : true)))
        case "ComplaintReopened": payload.append(("reason", .string("the remedy did not help")))
        case "CallbackLogged":
            let csat = satisfied ? 4 + rng.below(2) : 1 + rng.below(3)
            payload = [("reached", .bool(true)), ("csat", .number(String(csat))), ("nps", .number(String(min(10, csat * 2)))),
                       ("complaint", .string(id)), ("purpose", .string("complaint"))]
        default: break
        }
        try emit(envelope(type, c, store: store, actor: staff, channel: step == 0 ? "phone" : "counter", at: at,
                          id: "\(id)/\(step)/\(at.microseconds)", payload))
    }
}
