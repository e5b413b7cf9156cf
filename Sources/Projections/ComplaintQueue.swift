import CustomerEvents
import Ledger
import LedgerJSON

/// One line of the complaint queue: the complaint, its SLA clocks, and the next clock running.
public struct ComplaintQueueRow: Sendable {
    public let record: ComplaintRecord
    public let clocks: [SLAClock]
    /// The first clock still running (with minutes left), if any.
    public let next: SLAClock?
    /// True when the complaint is open, not escalated yet, and severe (`SLAConfiguration.escalateSeverities`)
    /// or past a target: the seeds' "escalation of severe or breached complaints", for the manager
    /// to act on (a read model never records the escalation itself).
    public let escalationDue: Bool

    /// The step the loop waits for: a resolved complaint not closed waits for its callback (回访),
    /// then its closing, under the close clock; otherwise the running clock's step; "callback" when
    /// every clock has stopped but the complaint is open; nil once it is closed.
    public var nextStep: String? {
        guard record.isOpen else { return nil }
        if record.resolvedAt != nil { return record.callbackDue ? "callback" : "close" }
        return next?.step ?? "callback"
    }

    /// The row as JSON (what `clientele complaints --format json` and the service write).
    public var json: JSONValue {
        let r = record
        var m: [(String, JSONValue)] = [("complaint", .string(r.complaint)), ("customer", .string(r.customer)),
                                        ("store", .string(r.store)), ("category", .string(r.category)),
                                        ("severity", .string(r.severity)), ("status", .string(r.status)),
                                        ("escalated", .bool(r.escalated)), ("escalationDue", .bool(escalationDue)),
                                        ("reopened", .number(String(r.reopened)))]
        if let step = nextStep { m.append(("nextStep", .string(step))) }
        m.append(("clocks", .array(clocks.map { c in
            .object([("step", .string(c.step)), ("state", .string(c.state.rawValue)), ("usedMinutes", .number(String(c.usedMinutes))),
                     ("targetMinutes", .number(String(c.targetMinutes)))] + (c.minutesLeft.map { [("minutesLeft", JSONValue.number(String($0)))] } ?? []))
        })))
        return .object(m)
    }
}

/// The complaint queue with SLA clocks: which complaints, in which order.
public enum ComplaintQueue {
    /// Which complaints to list.
    public enum StatusFilter: String, Sendable, CaseIterable { case open, closed, all }

    /// The rows of `records` passing the filters at `now`, soonest deadline first.
    /// - Complexity: O(n log n) in the number of complaints.
    /// - Parameter escalationDueOnly: only the complaints due an escalation (`ComplaintQueueRow.escalationDue`).
    public static func rows(_ records: [ComplaintRecord], now: Timestamp, sla: SLAConfiguration,
                            status: StatusFilter = .open, breachedOnly: Bool = false, escalationDueOnly: Bool = false) -> [ComplaintQueueRow] {
        var rows: [ComplaintQueueRow] = records.compactMap { r in
            guard r.isFiled else { return nil }
            if status == .open && !r.isOpen { return nil }
            if status == .closed && r.isOpen { return nil }
            let clocks = ComplaintSLA.clocks(r, at: now.microseconds, configuration: sla)
            let late = clocks.contains { $0.state == .breached || $0.state == .missed }
            if breachedOnly && !late { return nil }
            let due = r.isOpen && !r.escalated && (late || sla.escalateSeverities.contains(r.severity))
            if escalationDueOnly && !due { return nil }
            return ComplaintQueueRow(record: r, clocks: clocks, next: clocks.first { $0.minutesLeft != nil }, escalationDue: due)
        }
        rows.sort { ($0.next?.minutesLeft ?? .max, $0.record.complaint) < ($1.next?.minutesLeft ?? .max, $1.record.complaint) }
        return rows
    }
}
