import Ledger
import LedgerJSON
import CustomerEvents

/// The questions compliance staff ask of the ledger, each answered from the log itself.
///
/// Only `customer` shows personal data (unsealed with the master key); the others leave
/// personal fields out and say which were there. Recording that personal data was read is the
/// caller's job (`accessEvents`), since only the caller knows who asked and why.
public struct AuditTrail: Sendable {
    public let ledger: CustomerLedger

    public init(ledger: CustomerLedger) { self.ledger = ledger }

    /// Everything that happened to one customer: their events (personal fields unsealed), each
    /// consent change, and every read of their personal data, in stream order.
    /// - Complexity: O(events of the customer), through the customer index.
    public func customer(_ id: String, period: AuditPeriod = .all) throws -> [AuditRow] {
        var rows: [AuditRow] = []
        guard !period.isEmpty else { return rows }
        // The customer's key, looked up once; events are unsealed from their stored bytes when
        // they can be (current schema version, personal fields at the top level), else read
        // through the catalog (upcast, erased, no key).
        var key: DataKey?
        if case .active(let k)? = try? ledger.keys.key(for: id) { key = k }
        let current = ledger.catalog.currentVersions
        try ledger.ledger.scanRecords(EventQuery(.customer(id), sequences: period.sequences)) { record in
            guard period.contains(sequence: record.sequence, occurredAt: record.occurredAt) else { return true }
            let recorded = record.decode()
            let type = recorded.type
            let fast: [UInt8]? = record.schemaVersion >= (current[type] ?? 0)
                ? SealedPayload.unsealed(record.payloadBytes, key: key, customer: id) : nil
            if let fast {
                rows.append(AuditRow(kind: AuditTrail.kind(of: type), recorded: recorded, payloadJSON: fast))
            } else {
                let e = ledger.read(recorded)
                let (payload, sealed) = Payloads.withoutSealed(e.payload)
                rows.append(AuditRow(kind: AuditTrail.kind(of: type), recorded: recorded, payload: payload, personalPaths: sealed))
            }
            return true
        }
        return rows
    }

    /// Everything one staff member (an actor: `staff-li`, `os:mei`, `token:zhao`) did, which
    /// includes every read of a customer's personal data they made. Personal fields left out.
    public func staff(_ actor: String, period: AuditPeriod = .all) throws -> [AuditRow] {
        try sealedRows(EventQuery(.actor(actor), sequences: period.sequences), period: period)
    }

    /// Every read of personal data in the period, by anyone.
    public func accesses(period: AuditPeriod = .all) throws -> [AuditRow] {
        try sealedRows(EventQuery(.type(PersonalDataAccess.type), sequences: period.sequences), period: period)
    }

    /// Every erasure request and erasure in the period, in log order.
    public func erasures(period: AuditPeriod = .all) throws -> [AuditRow] {
        var rows = try sealedRows(EventQuery(.type("ErasureRequested"), sequences: period.sequences), period: period)
        rows += try sealedRows(EventQuery(.type("CustomerErased"), sequences: period.sequences), period: period)
        return rows.sorted { $0.recorded.sequence < $1.recorded.sequence }
    }

    /// Every consent withdrawal in the period, each followed by the contacts made with that
    /// customer afterwards (care contacts: greetings, coupons, win-back offers, invitations); a
    /// contact the consents in force at the time did not allow is flagged.
    public func consentWithdrawals(period: AuditPeriod = .all) throws -> [AuditRow] {
        var rows: [AuditRow] = []
        var customers: [String] = []
        var seen = Set<String>()
        for row in try sealedRows(EventQuery(.type("ConsentWithdrawn"), sequences: period.sequences), period: period) {
            if seen.insert(row.recorded.customer).inserted { customers.append(row.recorded.customer) }
        }
        for customer in customers {
            var state = ConsentState()
            var firstWithdrawal: UInt64?
            var stream = EventQuery.customer(customer)
            stream.includesObservations = false // consents and contacts only: no access record counts here
            try ledger.scanForFold(stream, types: nil) { e in
                let r = e.recorded
                let (payload, sealed) = Payloads.withoutSealed(e.payload)
                if e.type == "ConsentWithdrawn" && period.contains(sequence: r.sequence, occurredAt: r.occurredAt) {
                    if firstWithdrawal == nil { firstWithdrawal = r.sequence }
                    rows.append(AuditRow(kind: "consent", recorded: r, payload: payload))
                } else if e.type == "CareContactMade", firstWithdrawal != nil {
                    let channel = payload["channel"]?.stringValue
                    var flag: String?
                    if let channel, let c = ContactChannel(rawValue: channel) {
                        let decision = state.decide(.marketing, channel: c)
                        if !decision.allowed { flag = "CONTACT AFTER WITHDRAWAL: " + decision.reason }
                    }
                    rows.append(AuditRow(kind: "contact", recorded: r, payload: payload, personalPaths: sealed, flag: flag))
                }
                state.apply(e)
                return true
            }
        }
        return rows
    }

    private func sealedRows(_ query: EventQuery, period: AuditPeriod) throws -> [AuditRow] {
        var rows: [AuditRow] = []
        guard !period.isEmpty else { return rows }
        try ledger.scanForFold(query, types: nil) { e in
            let r = e.recorded
            guard period.contains(sequence: r.sequence, occurredAt: r.occurredAt) else { return true }
            let (payload, sealed) = Payloads.withoutSealed(e.payload)
            rows.append(AuditRow(kind: AuditTrail.kind(of: e.type), recorded: r, payload: payload, personalPaths: sealed))
            return true
        }
        return rows
    }

    static func kind(of type: String) -> String {
        switch type {
        case "PersonalDataAccessed": return "access"
        case "ConsentGranted", "ConsentWithdrawn": return "consent"
        case "ErasureRequested", "CustomerErased": return "erasure"
        case "CareContactMade": return "contact"
        default: return "event"
        }
    }

    /// The `PersonalDataAccessed` events recording that `actor` read these customers' personal
    /// data for `purpose` through `endpoint`, ready for `Ledger.append`.
    public static func accessEvents(customers: [(id: String, store: String)], actor: String, purpose: String,
                                    endpoint: String, at time: Timestamp = .now()) -> [NewEvent] {
        PersonalDataAccess(actor: actor, purpose: purpose, endpoint: endpoint, at: time).events(customers.map { ($0.id, $0.store) })
    }
}
