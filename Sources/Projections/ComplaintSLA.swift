import Ledger

/// The service commitment: how long each step may take, in business hours, per category and
/// severity (defaults: respond 1 h, plan 4 h, close 24 h), with the store's opening hours and the
/// share of a target at which a warning starts.
public struct SLAConfiguration: Sendable, Equatable {
    public struct Targets: Sendable, Equatable {
        public var respondMinutes: Int
        public var planMinutes: Int
        public var closeMinutes: Int
        public init(respondMinutes: Int = 60, planMinutes: Int = 240, closeMinutes: Int = 1440) {
            self.respondMinutes = respondMinutes
            self.planMinutes = planMinutes
            self.closeMinutes = closeMinutes
        }
    }
    /// A store's calendar: opening hours, minutes after local midnight, [open, close), the same
    /// every day it opens; the weekdays it is closed and the dates it is closed (holidays).
    public struct BusinessHours: Sendable, Equatable {
        public var opens: Int
        public var closes: Int
        public var offsetMinutes: Int
        /// ISO weekdays the store is closed (1 Monday … 7 Sunday).
        public var closedWeekdays: Set<Int>
        /// Local dates the store is closed, as days since 1970-01-01.
        public var closedDays: Set<Int64>
        public init(opens: Int = 0, closes: Int = 1440, offsetMinutes: Int = 480, closedWeekdays: Set<Int> = [], closedDays: Set<Int64> = []) {
            self.opens = opens
            self.closes = closes
            self.offsetMinutes = offsetMinutes
            self.closedWeekdays = closedWeekdays
            self.closedDays = closedDays
        }
        /// Around the clock.
        public static let always = BusinessHours()

        /// True when the store is closed all of local day `day` (days since 1970-01-01).
        @inline(__always)
        func isClosed(day: Int64) -> Bool {
            if !closedDays.isEmpty && closedDays.contains(day) { return true }
            // 1970-01-01 was a Thursday (ISO weekday 4).
            return !closedWeekdays.isEmpty && closedWeekdays.contains(Int(((day % 7) + 7 + 3) % 7) + 1)
        }

        /// True when every minute of every day is business time.
        var isAlwaysOpen: Bool { opens == 0 && closes >= 1440 && closedWeekdays.isEmpty && closedDays.isEmpty }
    }

    public var defaultTargets = Targets()
    /// Overrides by "category" or "category/severity" (the more specific wins).
    public var overrides: [String: Targets] = [:]
    /// Opening hours per store; stores not listed use `defaultHours`.
    public var hours: [String: BusinessHours] = [:]
    public var defaultHours = BusinessHours.always
    /// A step is "due soon" once this share of its target has passed.
    public var warningShare = 0.75
    /// Severities whose open complaints are due an escalation (升级) until one is recorded; a
    /// complaint with a breached or missed clock is due one whatever its severity.
    public var escalateSeverities: Set<String> = ["high", "critical"]

    public init() {}

    /// The targets of a complaint of `category` and `severity`: its own override, its category's,
    /// or the defaults.
    public func targets(category: String, severity: String) -> Targets {
        overrides["\(category)/\(severity)"] ?? overrides[category] ?? defaultTargets
    }

    /// The calendar day (YYYY-MM-DD) at `store` at the moment `microseconds` (UTC), in the zone of
    /// its opening hours: the day a daily report of "today" means to the store's staff.
    public func localDate(store: String, at microseconds: Int64) -> String {
        String(localTime(store: store, at: microseconds).iso8601.prefix(10))
    }

    /// The moment `microseconds` (UTC) as the clock at `store` shows it, in the zone of its
    /// opening hours: how an event stamped "now" for the store is recorded, so that the daily
    /// summary puts it on the store's day.
    public func localTime(store: String, at microseconds: Int64) -> Timestamp {
        Timestamp(microseconds: microseconds, offsetMinutes: Int16(clamping: (hours[store] ?? defaultHours).offsetMinutes))
    }
}

/// Where one SLA clock stands.
public struct SLAClock: Sendable, Equatable {
    public enum State: String, Sendable { case met, missed, running = "on-time", warning = "due-soon", breached }
    public var step: String
    public var state: State
    /// Business minutes used (excluding pauses) and the target.
    public var usedMinutes: Int
    public var targetMinutes: Int
    /// Minutes left (negative once breached); nil once the step is done.
    public var minutesLeft: Int? { state == .met || state == .missed ? nil : targetMinutes - usedMinutes }
}

/// Reads a complaint's SLA clocks at a moment: business time elapsed since the round began,
/// minus the pauses while waiting on the customer.
public enum ComplaintSLA {
    /// The three clocks (respond, plan, close) of `r` at `now`, then the close clock of each round
    /// before its last reopening ("close (round 1)", …), as it stood when that round ended.
    public static func clocks(_ r: ComplaintRecord, at now: Int64, configuration c: SLAConfiguration) -> [SLAClock] {
        let targets = c.targets(category: r.category, severity: r.severity)
        let hours = c.hours[r.store] ?? c.defaultHours
        let pauses = r.pauses
        func clock(_ step: String, start: Int64, done: Int64?, target: Int) -> SLAClock {
            let end = min(done ?? now, now)
            // Judged to the microsecond (a 60-minute target is breached at 60:00.000001), shown in
            // whole minutes.
            let used = businessMicroseconds(from: start, to: end, hours: hours, pauses: pauses)
            let limit = Int64(target) * minute
            let state: SLAClock.State
            if done != nil && done! <= now {
                state = used <= limit ? .met : .missed
            } else if used > limit {
                state = .breached
            } else if Double(used) >= c.warningShare * Double(limit) {
                state = .warning
            } else {
                state = .running
            }
            // Whole minutes, rounded down, but up past the target: a clock judged at 60:20 of 60
            // shows 61 used (1 minute over), not "breached, 0 minutes left".
            let shown = used > limit ? (used + minute - 1) / minute : used / minute
            return SLAClock(step: step, state: state, usedMinutes: Int(shown), targetMinutes: target)
        }
        // A step counts as done at the earliest step at or after it: staff who verified, acted on or
        // resolved a complaint without recording its acknowledgement did respond (late, maybe), and
        // the clock stops there instead of running on after the complaint was settled. The first
        // round's handling counts however often the complaint is reopened since.
        func first(_ times: Int64?...) -> Int64? { times.compactMap { $0 }.min() }
        let handled = first(r.firstHandledAt, r.actedAt, r.resolvedAt, r.closedAt)
        return [
            clock("respond", start: r.filedAt, done: first(r.acknowledgedAt, r.verifiedAt, r.plannedAt, handled), target: targets.respondMinutes),
            clock("plan", start: r.filedAt, done: first(r.plannedAt, handled), target: targets.planMinutes),
            // Closure is the loop's last step, after the callback (回访): a resolved complaint's
            // close clock runs on until it is closed.
            clock("close", start: r.roundStartedAt, done: r.closedAt, target: targets.closeMinutes),
        ] + r.earlierRounds.enumerated().map { i, round in
            clock("close (round \(i + 1))", start: round[0], done: round[1], target: targets.closeMinutes)
        }
    }

    private static let minute: Int64 = 60_000_000

    /// Business minutes in [from, to), inside opening hours and outside pauses (whole minutes, rounded down).
    public static func businessMinutes(from: Int64, to: Int64, hours: SLAConfiguration.BusinessHours, pauses: [[Int64]]) -> Int {
        Int(businessMicroseconds(from: from, to: to, hours: hours, pauses: pauses) / minute)
    }

    /// Business time in [from, to), in microseconds, inside opening hours and outside pauses.
    public static func businessMicroseconds(from: Int64, to: Int64, hours: SLAConfiguration.BusinessHours, pauses: [[Int64]]) -> Int64 {
        guard to > from else { return 0 }
        var intervals: [(Int64, Int64)] = [(from, to)]
        // Remove pauses (an open pause runs to `to`).
        for p in pauses {
            let ps = p[0], pe = p[1] == 0 ? Int64.max : p[1]
            intervals = intervals.flatMap { (s, e) -> [(Int64, Int64)] in
                if pe <= s || ps >= e { return [(s, e)] }
                var out: [(Int64, Int64)] = []
                if ps > s { out.append((s, ps)) }
                if pe < e { out.append((pe, e)) }
                return out
            }
        }
        let day: Int64 = 1440 * minute
        let offset = Int64(hours.offsetMinutes) * minute
        var total: Int64 = 0
        for (s, e) in intervals {
            if hours.isAlwaysOpen { total += e - s; continue }
            // Walk the local days the interval touches, skipping those the store is closed.
            var dayStart = ((s + offset) / day) * day - offset
            if dayStart > s { dayStart -= day }
            while dayStart < e {
                if !hours.isClosed(day: (dayStart + offset) / day) {
                    let open = dayStart + Int64(hours.opens) * minute, close = dayStart + Int64(hours.closes) * minute
                    let a = max(s, open), b = min(e, close)
                    if b > a { total += b - a }
                }
                dayStart += day
            }
        }
        return total
    }
}
