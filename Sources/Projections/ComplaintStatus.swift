import CustomerEvents
import Ledger
import LedgerJSON

/// One complaint's handling so far: the loop 受理 → 核实 → 处理 → 反馈 → 回访 (intake → verify →
/// handle → feedback → callback), as times of each step, pauses while waiting on the customer,
/// reopenings and escalations. SLA clocks are read from it at a moment (`ComplaintSLA`).
public struct ComplaintRecord: ProjectionRecord, Sendable, Equatable {
    public var complaint: String
    public var customer = ""
    public var store = ""
    public var category = "other"
    public var severity = "medium"
    public var filedAt: Int64 = 0
    public var acknowledgedAt: Int64?
    public var verifiedAt: Int64?
    public var plannedAt: Int64?
    public var actedAt: Int64?
    public var resolvedAt: Int64?
    public var closedAt: Int64?
    /// When the complaint was first acted on, resolved or closed, whichever came first; kept
    /// through reopenings (the respond and plan clocks of the first round stop there at the latest).
    public var firstHandledAt: Int64?
    /// When the current round began: filing, or the last reopening (close target counts from here).
    public var roundStartedAt: Int64 = 0
    /// The rounds before the last reopening, as [start, end) in µs: each ended when it was closed,
    /// or at the reopening if it never was. Their close clocks stay as they stood (a breach
    /// already reported on its day is not undone by a reopening).
    public var earlierRounds: [[Int64]] = []
    public var reopened = 0
    public var escalated = false
    public var satisfied: Bool?
    /// What starts and ends the waits on the customer, in business-time order, so that the
    /// pauses are the same whatever order the steps were recorded in.
    public var pauseMarks: [PauseMark] = []

    /// A moment a wait on the customer starts or may end.
    public struct PauseMark: Sendable, Equatable {
        public enum Kind: Int64, Sendable {
            /// ComplaintAwaitingCustomer.
            case waitStarts = 1
            /// ComplaintResumed, the customer's feedback, a reopening.
            case waitEnds = 2
            /// A step by staff: they are not waiting any more.
            case step = 3
        }
        public var at: Int64
        public var kind: Kind
        public init(at: Int64, kind: Kind) { self.at = at; self.kind = kind }
    }

    /// A callback's CSAT answer, and when it was given.
    public struct Rating: Sendable, Equatable {
        public var at: Int64
        public var csat: Int64
        public init(at: Int64, csat: Int64) { self.at = at; self.csat = csat }
    }
    /// Staff who took a step, by the time of their first step (the first is who responded).
    public var handlers: [String] = []
    /// When each of `handlers` took their first step (µs), in the same order.
    public var handlerSince: [Int64] = []
    /// Who recorded the latest resolution.
    public var resolvedBy: String?
    /// Every resolution, in every round, by business time: [at µs] and who recorded it (the same
    /// order). Each is credited with its resolve time, and with the CSAT of the callbacks that
    /// followed it (`resolver(at:)`), however often the complaint was reopened since.
    public var resolutions: [Int64] = []
    public var resolvers: [String] = []
    /// Who filed the complaint (受理: took it in at the counter, or the system it came through).
    public var filedBy: String?
    /// Each callback (回访), reached or not, in recorded order.
    public var callbacks: [Callback] = []

    /// One callback on the complaint: when (µs), who made it, whether it reached the customer, and
    /// their CSAT answer if any.
    public struct Callback: Sendable, Equatable {
        public var at: Int64
        public var by: String
        public var csat: Int64?
        public var reached: Bool
        public init(at: Int64, by: String, csat: Int64? = nil, reached: Bool = true) { self.at = at; self.by = by; self.csat = csat; self.reached = reached }
    }
    /// The callbacks' CSAT answers, in recorded order.
    public var ratings: [Rating] { callbacks.compactMap { c in c.csat.map { Rating(at: c.at, csat: $0) } } }
    /// The latest callback that reached the customer: one after the resolution is the callback
    /// done (回访 learns how satisfied they are; a call nobody answered learns nothing).
    public var calledBackAt: Int64? { callbacks.lazy.filter(\.reached).map(\.at).max() }

    /// The latest occurred-at (µs) among the steps folded in: a step that occurred before it was
    /// recorded out of business-time order (entered late).
    public var latestAt: Int64 = .min
    /// True once a step that occurred before `latestAt` was folded in: the record is then folded
    /// again in business-time order before it is stored or shown, so it is never stored set.
    public var foldedOutOfOrder = false
    /// The customers whose streams hold the complaint's steps: its customer's, and any other a step
    /// was recorded under (a duplicate record of the same person); a refold reads them all.
    public var streams: [String] = []

    public init(complaint: String) { self.complaint = complaint }

    public var isOpen: Bool { closedAt == nil }

    /// Pauses while waiting on the customer: [start, end) in µs; the last may be open (end 0). A
    /// wait ends when the customer answers or staff take a step.
    public var pauses: [[Int64]] {
        get {
            var out: [[Int64]] = []
            var open: Int64?
            for m in pauseMarks {
                if m.kind == .waitStarts {
                    if open == nil { open = m.at }
                } else if let start = open {
                    out.append([start, m.at])
                    open = nil
                }
            }
            if let open { out.append([open, 0]) }
            return out
        }
        set {
            pauseMarks = []
            for p in newValue {
                pauseMarks.append(PauseMark(at: p[0], kind: .waitStarts))
                if p[1] != 0 { pauseMarks.append(PauseMark(at: p[1], kind: .waitEnds)) }
            }
        }
    }

    /// Adds a pause mark in business-time order (after the marks of the same moment).
    mutating func mark(_ kind: PauseMark.Kind, at: Int64) {
        var i = pauseMarks.count
        while i > 0 && pauseMarks[i - 1].at > at { i -= 1 }
        pauseMarks.insert(PauseMark(at: at, kind: kind), at: i)
    }

    /// Who recorded the last resolution at or before `at` (business time): whom a callback then rates.
    public func resolver(at: Int64) -> String? {
        var found: String?
        for (i, t) in resolutions.enumerated() where t <= at { found = resolvers[i] }
        return found
    }

    /// When the round of a resolution at `at` began: the filing, or the reopening before it.
    public func roundStart(at: Int64) -> Int64 {
        var start = filedAt
        for round in earlierRounds + [[roundStartedAt, 0]] where round[0] <= at { start = max(start, round[0]) }
        return start
    }

    /// True when the complaint is resolved and no callback followed its resolution yet.
    public var callbackDue: Bool {
        guard isOpen, let resolvedAt else { return false }
        return (calledBackAt ?? Int64.min) < resolvedAt
    }

    /// Counts `actor` among the handlers, placed by the time of their first step.
    mutating func handled(by actor: String, at: Int64) {
        if handlerSince.count != handlers.count { handlerSince = handlers.map { _ in Int64.min } }
        if let i = handlers.firstIndex(of: actor) {
            guard at < handlerSince[i] else { return }
            handlers.remove(at: i)
            handlerSince.remove(at: i)
        }
        var i = handlers.count
        while i > 0 && handlerSince[i - 1] > at { i -= 1 }
        handlers.insert(actor, at: i)
        handlerSince.insert(at, at: i)
    }
    /// True once its filing is folded in. Steps recorded before the filing (an import out of
    /// order, or a view as of a sequence number between them) make a record that is not filed
    /// yet: it has no customer, store or filing time, and the queue and the reports leave it out.
    public var isFiled: Bool { !customer.isEmpty }
    public var status: String {
        if closedAt != nil { return "closed" }
        if resolvedAt != nil { return "resolved" }
        if let last = pauses.last, last[1] == 0 { return "awaiting-customer" }
        // Reopened, and not acted on since: the first round's steps say nothing of this one.
        if reopened > 0 && (actedAt ?? 0) < roundStartedAt { return "reopened" }
        if actedAt != nil { return "handling" }
        if plannedAt != nil { return "planned" }
        if verifiedAt != nil { return "verified" }
        if acknowledgedAt != nil { return "acknowledged" }
        return "filed"
    }

    public init?(stored r: inout RecordReader) {
        complaint = r.string()
        customer = r.string()
        store = r.string()
        category = r.string()
        severity = r.string()
        filedAt = r.int()
        acknowledgedAt = r.optionalInt()
        verifiedAt = r.optionalInt()
        plannedAt = r.optionalInt()
        actedAt = r.optionalInt()
        resolvedAt = r.optionalInt()
        closedAt = r.optionalInt()
        roundStartedAt = r.int()
        reopened = Int(r.int())
        escalated = r.bool()
        switch r.int() {
        case 1: satisfied = true
        case 2: satisfied = false
        default: satisfied = nil
        }
        let n = r.count()
        for _ in 0..<n where !r.failed { pauseMarks.append(PauseMark(at: r.int(), kind: PauseMark.Kind(rawValue: r.int()) ?? .waitEnds)) }
        handlers = r.strings()
        handlerSince = r.ints()
        firstHandledAt = r.optionalInt()
        resolvedBy = r.optionalString()
        let rounds = r.count()
        for _ in 0..<rounds where !r.failed { earlierRounds.append([r.int(), r.int()]) }
        resolutions = r.ints()
        resolvers = r.strings()
        filedBy = r.optionalString()
        let calls = r.count()
        for _ in 0..<calls where !r.failed { callbacks.append(Callback(at: r.int(), by: r.string(), csat: r.optionalInt(), reached: r.bool())) }
        latestAt = r.int()
        streams = r.strings()
        if r.failed || handlerSince.count != handlers.count || resolvers.count != resolutions.count { return nil }
    }

    public func encode(to w: inout RecordWriter) {
        w.string(complaint)
        w.string(customer)
        w.string(store)
        w.string(category)
        w.string(severity)
        w.int(filedAt)
        for v in [acknowledgedAt, verifiedAt, plannedAt, actedAt, resolvedAt, closedAt] { w.int(v) }
        w.int(roundStartedAt)
        w.int(reopened)
        w.bool(escalated)
        w.int(satisfied == nil ? 0 : satisfied! ? 1 : 2)
        w.unsigned(UInt64(pauseMarks.count))
        for x in pauseMarks { w.int(x.at); w.int(x.kind.rawValue) }
        w.strings(handlers)
        w.ints(handlers.indices.map { $0 < handlerSince.count ? handlerSince[$0] : Int64.min })
        w.int(firstHandledAt)
        w.string(resolvedBy)
        w.unsigned(UInt64(earlierRounds.count))
        for x in earlierRounds { w.int(x[0]); w.int(x[1]) }
        w.ints(resolutions)
        w.strings(resolvers)
        w.string(filedBy)
        w.unsigned(UInt64(callbacks.count))
        for c in callbacks { w.int(c.at); w.string(c.by); w.int(c.csat); w.bool(c.reached) }
        w.int(latestAt)
        w.strings(streams)
    }

    /// The record as JSON, for `--format json` (stored records are binary).
    public var json: JSONValue {
        func n(_ v: Int64) -> JSONValue { .number(String(v)) }
        var m: [(String, JSONValue)] = [("complaint", .string(complaint)), ("customer", .string(customer)), ("store", .string(store)),
                                        ("category", .string(category)), ("severity", .string(severity)), ("filedAt", n(filedAt))]
        for (k, v) in [("acknowledgedAt", acknowledgedAt), ("verifiedAt", verifiedAt), ("plannedAt", plannedAt), ("actedAt", actedAt),
                       ("resolvedAt", resolvedAt), ("closedAt", closedAt), ("firstHandledAt", firstHandledAt), ("calledBackAt", calledBackAt)] {
            if let v { m.append((k, n(v))) }
        }
        m += [("roundStartedAt", n(roundStartedAt)), ("reopened", n(Int64(reopened))), ("escalated", .bool(escalated))]
        if let satisfied { m.append(("satisfied", .bool(satisfied))) }
        m.append(("pauses", .array(pauses.map { .array($0.map(n)) })))
        if !earlierRounds.isEmpty { m.append(("earlierRounds", .array(earlierRounds.map { .array($0.map(n)) }))) }
        m.append(("handlers", .array(handlers.map { .string($0) })))
        if let resolvedBy { m.append(("resolvedBy", .string(resolvedBy))) }
        m.append(("resolutions", .array(zip(resolutions, resolvers).map { .array([n($0.0), .string($0.1)]) })))
        m.append(("ratings", .array(ratings.map { .array([n($0.at), n($0.csat)]) })))
        return .object(m)
    }
}

/// Folds every complaint step into its complaint's record.
/// Version 2: records stored in binary (`RecordWriter`), folded from the stored bytes.
/// Version 3: `firstHandledAt`, so that a reopening leaves the first round's clocks as they were.
/// Version 4: `resolvedBy`, whom the staff KPIs credit with the resolution.
/// Version 5: pauses from marks in business-time order, ended by staff steps too; handlers in the
/// order of their first step; the close clocks of rounds before a reopening (`earlierRounds`).
/// Version 6: every resolution and its resolver, every callback's CSAT, the latest callback.
/// Version 7: who filed the complaint and who made each callback (`filedBy`, `callers`).
/// Version 8: each callback's time with who made it (`callbacks`).
/// Version 9: the callbacks hold their CSAT; ratings and the latest callback are read from them.
/// Version 10: each complaint's steps folded in business-time order (`foldsInBusinessOrder`): a
/// step entered late takes its place among them (a closing entered after a reopening no longer
/// closes the reopened complaint); a callback that reached the customer ends a wait on them; one
/// that did not leaves the callback due.
/// Version 11: the customers whose streams hold the steps (`streams`), which a refold reads.
public struct ComplaintStatusProjector: KeyedProjector {
    public static let name = "complaint-status"
    public static let version = 11
    public init() {}

    public static var foldsInBusinessOrder: Bool { true }
    public func needsRefold(_ r: ComplaintRecord) -> Bool { r.foldedOutOfOrder }
    /// The customers whose streams hold the complaint's steps (usually its customer alone).
    public func streamCustomers(of key: String, _ r: ComplaintRecord) -> [String] { r.streams }

    public var eventKinds: EventKind.Set {
        EventKind.Set([.complaintFiled, .complaintAcknowledged, .complaintVerified, .complaintPlanProposed, .complaintActionTaken, .complaintEscalated,
                       .complaintAwaitingCustomer, .complaintResumed, .complaintResolved, .complaintFeedbackReceived, .complaintReopened,
                       .complaintClosed, .callbackLogged])
    }

    public func key(for event: borrowing FoldEvent) -> String? { event.member(.complaint)?.string }

    public func initial(key: String) -> ComplaintRecord { ComplaintRecord(complaint: key) }

    public func apply(_ r: inout ComplaintRecord, _ event: borrowing FoldEvent) {
        let at = event.occurredAt.microseconds
        if at < r.latestAt { r.foldedOutOfOrder = true } else { r.latestAt = at }
        let customer = event.record.customerBytes
        if !r.streams.contains(where: { $0.utf8.elementsEqual(customer) }) { r.streams.append(String(decoding: customer, as: UTF8.self)) }
        // A step by staff: they count among the handlers, and the store is not waiting on the
        // customer any more.
        func handled() {
            let actor = event.record.actorBytes
            if let i = r.handlers.firstIndex(where: { $0.utf8.elementsEqual(actor) }), i < r.handlerSince.count, r.handlerSince[i] <= at {
                // Known already, from an earlier step.
            } else {
                r.handled(by: String(decoding: actor, as: UTF8.self), at: at)
            }
            r.mark(.step, at: at)
        }
        switch event.kind {
        case .complaintFiled:
            r.customer = event.customer
            r.store = event.store
            r.category = event.member(.category)?.string ?? r.category
            r.severity = event.member(.severity)?.string ?? r.severity
            r.filedAt = at
            r.roundStartedAt = at
            r.filedBy = event.actor
        case .complaintAcknowledged: r.acknowledgedAt = r.acknowledgedAt ?? at; handled()
        case .complaintVerified: r.verifiedAt = r.verifiedAt ?? at; handled()
        case .complaintPlanProposed: r.plannedAt = r.plannedAt ?? at; handled()
        case .complaintActionTaken: r.actedAt = at; r.firstHandledAt = min(r.firstHandledAt ?? at, at); handled()
        case .complaintEscalated: r.escalated = true
        case .complaintAwaitingCustomer: r.mark(.waitStarts, at: at)
        case .complaintResumed: r.mark(.waitEnds, at: at)
        case .complaintResolved:
            r.resolvedAt = at
            r.firstHandledAt = min(r.firstHandledAt ?? at, at)
            r.resolvedBy = event.actor
            var i = r.resolutions.count
            while i > 0 && r.resolutions[i - 1] > at { i -= 1 }
            r.resolutions.insert(at, at: i)
            r.resolvers.insert(event.actor, at: i)
            handled()
        case .complaintFeedbackReceived:
            r.satisfied = event.member(.satisfied)?.bool == true
            r.mark(.waitEnds, at: at)
        case .complaintReopened:
            r.reopened += 1
            // The round ends: closed, or reopened before it ever was.
            r.earlierRounds.append([r.roundStartedAt, min(r.closedAt ?? at, at)])
            r.resolvedAt = nil
            r.closedAt = nil
            r.roundStartedAt = at
            r.mark(.waitEnds, at: at)
        case .complaintClosed: r.closedAt = at; r.firstHandledAt = min(r.firstHandledAt ?? at, at); handled()
        case .callbackLogged:
            // Callbacks are few: `reached` is looked up in the payload rather than kept by the scan.
            let reached = event.payload["reached"]?.bool != false
            r.callbacks.append(ComplaintRecord.Callback(at: at, by: event.actor, csat: event.member(.csat)?.int64, reached: reached))
            // The customer answered: the store is not waiting on them any more.
            if reached { r.mark(.waitEnds, at: at) }
        default: break
        }
    }
}
