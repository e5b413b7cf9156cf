import CustomerEvents
import Ledger
import LedgerJSON

/// One customer's 360 view: profile (unsealed where the key allows), the summary model, segment,
/// loyalty tier and consents now — what `clientele customer` prints and the service returns.
public struct CustomerView: Sendable {
    /// The customer id: the one asked for, or the record it was merged into (`requested`).
    public var customer: String
    /// The id asked for, when that record was merged into `customer` (the view is the person's).
    public var requested: String?
    /// The records merged into this one, whose history the view counts (sorted; usually none).
    public var mergedRecords: [String] = []
    /// Registration and profile updates folded, newest value per field (personal fields unsealed or null).
    public var profile: [(String, JSONValue)]
    /// Whether personal fields were restored, erased, or left sealed.
    public var personalData: PersonalDataSealer.Outcome
    /// The summary read model.
    public var summary: CustomerSummary
    /// The segment, when one could be assigned.
    public var segment: SegmentAssignment?
    /// The loyalty tier (as the loyalty model keeps it, with its benefits).
    public var tier: LoyaltyTier
    /// Points earned, redeemed, expired and reversed, and the tier changes.
    public var loyalty: LoyaltyAccount
    /// Membership and marketing-by-channel decisions, in a fixed order.
    public var consents: [(String, ConsentDecision)]
    /// The churn risk with its reasons and win-back action, when assessed (it ranks the customer
    /// among all customers, as segments do; nil for one who never bought).
    public var churn: ChurnAssessment?

    /// The view as JSON; without the profile when `includeProfile` is false (pseudonymous readers).
    public func json(includeProfile: Bool = true) -> JSONValue {
        var m: [(String, JSONValue)] = [("customer", .string(customer))]
        if let requested { m.append(("requested", .string(requested))) }
        if !mergedRecords.isEmpty { m.append(("mergedRecords", .array(mergedRecords.map { .string($0) }))) }
        if includeProfile {
            m.append(("profile", .object(profile)))
            m.append(("personalData", .string(personalData.rawValue)))
        }
        m.append(("summary", summary.json))
        if let segment {
            m.append(("segment", .string(segment.kind.rawValue)))
            if let s = segment.rfmSegment { m.append(("rfmSegment", .string(s))) }
        }
        m.append(("tier", .string(tier.name)))
        m.append(("loyalty", loyalty.json))
        m.append(("consents", .object(consents.map { ($0.0, .bool($0.1.allowed)) })))
        if let churn { m.append(("churn", churn.json)) }
        return .object(m)
    }
}

extension CustomerView {
    /// The events the profile is folded from.
    static let profileTypes: Set<[UInt8]> = Set(["CustomerRegistered", "CustomerProfileUpdated"].map { Array($0.utf8) })
    /// The events the view reads from the customer's stream: the profile's and the consents'.
    static let readTypes = profileTypes.union(ConsentState.eventTypes)
}

extension ProjectionStore {
    /// The 360 view of `id`, live or as of `point`; nil when the customer has no events (by then).
    /// A record merged into another (by then) answers with the view of the person: the record it
    /// was merged into, with the history of every record merged into that one (`CustomerMerges`).
    ///
    /// - Parameters:
    ///   - segmentOf: the customer's segment given the id shown (`CustomerView.customer`), their
    ///     summary and the moment the view describes
    ///     (segments are ranks over every customer: the caller decides how fresh they must be).
    ///   - catchingUp: catch the summary model up with the log first (false: read it as stored).
    /// - Complexity: live, O(the customer's profile and consent events) plus `segmentOf`, however
    ///   long their stream; as of a past point, or for a person with merged records, O(the events
    ///   of their records), plus two lookups in the index of types for the merges.
    public func customerView(_ id: String, asOf point: AsOf?, configuration: ClienteleConfiguration, catchingUp: Bool = true,
                             segmentOf: (String, CustomerSummary, Timestamp) throws -> SegmentAssignment?) throws -> CustomerView? {
        func included(_ e: CatalogEvent) -> Bool {
            switch point {
            case nil: return true
            case .sequence(let n)?: return e.recorded.sequence <= n
            case .time(let t)?: return e.recorded.occurredAt <= t
            }
        }
        let merges = try merges(asOf: point)
        let requested = id, id = merges.survivor(of: requested)
        let members = merges.members(of: id)
        let loyaltyModel = LoyaltyProjector(configuration: configuration)
        var account = loyaltyModel.initial(key: id)
        var summary: CustomerSummary
        var now = Timestamp.now()
        if members.count > 1 {
            // A person whose records were merged: every record's history, folded together.
            let events = try merges.events(of: id, asOf: point, in: ledger)
            guard !events.isEmpty else { return nil }
            if let point { now = try moment(of: point) }
            summary = CustomerSummary()
            CustomerSummaryProjector().fold(events, into: &summary, catalog: ledger.catalog)
            loyaltyModel.fold(events, into: &account, catalog: ledger.catalog)
        } else if point == nil {
            if catchingUp { try catchUp([CustomerSummaryProjector(), loyaltyModel]) }
            let (live, loyalty) = try storedRecords(CustomerSummaryProjector(), loyaltyModel, key: id)
            // A customer whose only events the summary keeps nothing of (points from the till
            // ahead of the purchase, a care contact) is still a customer, as their view as of
            // the head shows them.
            guard try live != nil || loyalty != nil || ledger.ledger.streamVersion(of: id) > 0 else { return nil }
            summary = live ?? CustomerSummary()
            account = loyalty ?? account
        } else {
            // As of a past point: this customer's events up to then, folded apart from the stored models.
            var events: [RecordedEvent] = []
            var stream = EventQuery.customer(id)
            stream.includesObservations = false // access records change nothing a fold keeps
            try ledger.ledger.scan(stream) { e in
                switch point {
                case .sequence(let n)?: if e.sequence <= n { events.append(e) }
                case .time(let t)?: if e.occurredAt <= t { events.append(e) }
                case nil: events.append(e)
                }
                return true
            }
            guard !events.isEmpty else { return nil }
            if case .time(let t)? = point {
                now = t
                events.sort(by: RecordedEvent.inBusinessOrder)
            }
            if case .sequence(let n)? = point { now = try ledger.ledger.event(n)?.recordedAt ?? now }
            summary = CustomerSummary()
            CustomerSummaryProjector().fold(events, into: &summary, catalog: ledger.catalog)
            loyaltyModel.fold(events, into: &account, catalog: ledger.catalog)
        }
        // The profile (the registration, then every profile update, unsealed now) and the
        // consents, in one pass over the customer's stream.
        var profile: [(String, JSONValue)] = []
        var personal = PersonalDataSealer.Outcome.none
        var consents = ConsentState()
        var asOfSequence: UInt64 = .max
        if case .sequence(let n)? = point { asOfSequence = n }
        // Profile changes are applied in business-time order (then recorded order), as consents
        // are weighed: an old change imported late does not hide a newer one.
        var changes: [CatalogEvent] = []
        func fold(_ event: CatalogEvent) -> Bool {
            guard included(event) else { return true }
            if ConsentState.eventTypes.contains(Array(event.type.utf8)) {
                consents.apply(event)
                return true
            }
            changes.append(event)
            return true
        }
        if point == nil || members.count > 1 {
            // Live (or a merged person's, folded up to the point): the summary knows where the
            // profile and consent events are; the rest of the stream (purchases, access
            // records…) is not read.
            try ledger.events(Array(summary.profileEvents), unsealing: CustomerView.profileTypes, fold)
        } else {
            try ledger.scan(EventQuery(.customer(id), sequences: 1...asOfSequence), types: CustomerView.readTypes,
                            unsealing: CustomerView.profileTypes, fold)
        }
        changes.sort { a, b in
            a.recorded.occurredAt.microseconds != b.recorded.occurredAt.microseconds
                ? a.recorded.occurredAt.microseconds < b.recorded.occurredAt.microseconds : a.recorded.sequence < b.recorded.sequence
        }
        for event in changes {
            guard case .object(let members) = event.payload else { continue }
            if event.personalData != .none { personal = event.personalData }
            for (k, v) in members {
                if let i = profile.firstIndex(where: { $0.0 == k }) { profile[i].1 = v } else { profile.append((k, v)) }
            }
        }
        // Erased: the profile's plain fields (age band, gender; interests, preferences and card in
        // registrations from before those were sealed) describe the person as much as the sealed
        // ones, and go with them; only that there was a field stays.
        if summary.erased { personal = .erased }
        if personal == .erased { profile = profile.map { ($0.0, .null) } }
        let decisions: [(String, ConsentDecision)] = [("membership", consents.decide(.membership)), ("profiling", consents.decide(.profiling))]
            + ContactChannel.allCases.map { ("marketing by \($0.rawValue)", consents.decide(.marketing, channel: $0)) }
        return CustomerView(customer: id, requested: requested == id ? nil : requested, mergedRecords: merges.groups[id] ?? [],
                            profile: profile, personalData: personal, summary: summary,
                            segment: try segmentOf(id, summary, now),
                            tier: configuration.tiers.first { $0.name == account.tier } ?? configuration.tier(forSpend: summary.netSpend),
                            loyalty: account, consents: decisions)
    }
}
