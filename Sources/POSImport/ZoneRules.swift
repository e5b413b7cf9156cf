import Foundation
import Ledger

/// A time zone's UTC offsets over time, computed once from the system's zone data (through
/// Foundation, at setup) so that each row's conversion is a binary search with no Foundation call.
final class ZoneRules: Sendable {
    /// The IANA name, e.g. `America/New_York`.
    let identifier: String
    /// Seconds since the epoch where each offset period starts (the first is -∞ in effect).
    private let starts: [Int64]
    /// The offset in seconds east of UTC from `starts[i]` until `starts[i + 1]`.
    private let offsets: [Int64]

    /// Loads `identifier`'s transitions between 1900 and 2100; nil for an unknown zone.
    init?(identifier: String) {
        guard let zone = TimeZone(identifier: identifier) else { return nil }
        self.identifier = zone.identifier
        var starts: [Int64] = [Int64.min]
        var offsets: [Int64] = []
        var date = Date(timeIntervalSince1970: -2_208_988_800) // 1900-01-01
        let limit = Date(timeIntervalSince1970: 4_102_444_800) // 2100-01-01
        offsets.append(Int64(zone.secondsFromGMT(for: date)))
        while let next = zone.nextDaylightSavingTimeTransition(after: date), next < limit {
            let offset = Int64(zone.secondsFromGMT(for: next))
            if offset != offsets.last! {
                starts.append(Int64(next.timeIntervalSince1970.rounded()))
                offsets.append(offset)
            }
            date = next
        }
        self.starts = starts
        self.offsets = offsets
    }

    /// The offset in seconds east of UTC in force at `utc` seconds since the epoch.
    func offset(atUTC utc: Int64) -> Int64 {
        var lo = 0, hi = starts.count - 1
        while lo < hi {
            let mid = (lo + hi + 1) / 2
            if starts[mid] <= utc { lo = mid } else { hi = mid - 1 }
        }
        return offsets[lo]
    }

    /// The instant a wall-clock time names in this zone, with the offset in force then.
    /// A time that occurs twice (the hour repeated when clocks go back) is the first of the two;
    /// a time that never occurs (skipped when clocks go forward) is read with the offset before the
    /// change, so it lands just after the jump, as the clock on the wall would have shown.
    func resolve(wallSeconds local: Int64) -> (utc: Int64, offset: Int64) {
        let before = offset(atUTC: local - 86_400)
        let after = offset(atUTC: local + 86_400)
        var best: (utc: Int64, offset: Int64)?
        for o in before == after ? [before] : [before, after] {
            let u = local - o
            if offset(atUTC: u) == o, best == nil || u < best!.utc { best = (u, o) }
        }
        if let best { return best }
        let u = local - before
        return (u, offset(atUTC: u))
    }
}

/// Time zone names to rules: IANA names, and the Rails names Square writes
/// (`Eastern Time (US & Canada)`). Each zone is loaded once per reader.
final class ZoneCatalog {
    private var byName: [String: ZoneRules] = [:]
    private var lastBytes: [UInt8] = []
    private var lastRules: ZoneRules?

    /// The rules for `name` (an IANA name or a Rails/Square name), nil when unknown.
    func rules(named name: String) -> ZoneRules? {
        if let hit = byName[name] { return hit }
        let trimmed = name.trimmingCharacters(in: .whitespaces)
        let iana = RailsTimeZones.ianaName[trimmed] ?? (trimmed.uppercased() == "UTC" || trimmed.uppercased() == "GMT" ? "UTC" : trimmed)
        guard iana.contains("/") || iana == "UTC", let rules = ZoneRules(identifier: iana) else { return nil }
        byName[name] = rules
        return rules
    }

    /// The rules for the zone name in `bytes`, remembering the last one (exports repeat one zone).
    func rules(named bytes: UnsafeBufferPointer<UInt8>) -> ZoneRules? {
        if let lastRules, lastBytes.elementsEqual(bytes) { return lastRules }
        let rules = self.rules(named: String(decoding: bytes, as: UTF8.self))
        lastBytes = Array(bytes)
        lastRules = rules
        return rules
    }
}

extension LocalDateTime {
    /// The timestamp this wall time names: by its own offset when the text had one, else in `zone`.
    func timestamp(in zone: ZoneRules?) -> Timestamp? {
        let wall = wallSeconds
        let utc: Int64, offset: Int64
        if let written = offsetMinutes {
            offset = written * 60
            utc = wall - offset
        } else if let zone {
            (utc, offset) = zone.resolve(wallSeconds: wall)
        } else {
            return nil
        }
        return Timestamp(microseconds: utc * 1_000_000 + microsecond, offsetMinutes: Int16(offset / 60))
    }
}
