import Ledger
import Access
import CustomerBase
import CustomerEvents
import LedgerJSON
#if canImport(Glibc)
import Glibc
#endif

/// A loyalty tier: its name, the net spend that reaches it, and what it gives (benefits in words,
/// and the points multipliers the loyalty model applies while the customer holds it).
public struct LoyaltyTier: Sendable, Equatable {
    public var name: String
    public var minSpend: Int64
    public var benefits: [String]
    /// Points earned by a purchase are multiplied by this.
    public var pointsMultiplier: Double = 1
    /// And by this within the birthday window (after a birthday greeting).
    public var birthdayMultiplier: Double = 1

    public init(name: String, minSpend: Int64, benefits: [String], pointsMultiplier: Double = 1, birthdayMultiplier: Double = 1) {
        self.name = name
        self.minSpend = minSpend
        self.benefits = benefits
        self.pointsMultiplier = pointsMultiplier
        self.birthdayMultiplier = birthdayMultiplier
    }
}

/// How purchases earn points when the ledger holds no `PointsEarned` for their receipt (POS
/// imports carry none): `spendPerPoint` minor units of the receipt's total earn one point,
/// times the tier's multiplier, the highest category multiplier among the receipt's lines, and
/// the tier's birthday multiplier within `birthdayWindowDays` after a birthday greeting.
public struct PointRules: Sendable, Equatable {
    public var spendPerPoint: Int64 = 100
    public var categoryMultipliers: [String: Double] = [:]
    public var birthdayWindowDays = 30
    public init() {}
}

/// How the read models judge, from one JSON file (schemas/configuration.schema.json); every key
/// is optional and absent keys keep the defaults of domain.md.
public struct ClienteleConfiguration: Sendable {
    public var tiers: [LoyaltyTier] = [
        LoyaltyTier(name: "member", minSpend: 0, benefits: []),
        LoyaltyTier(name: "silver", minSpend: 200_000, benefits: ["birthday double points"], birthdayMultiplier: 2),
        LoyaltyTier(name: "gold", minSpend: 1_000_000, benefits: ["dedicated adviser", "free delivery", "birthday double points"], birthdayMultiplier: 2),
    ]
    public var points = PointRules()
    public var segments = SegmentRules()
    public var sla = SLAConfiguration()
    public var churnBands = ChurnRiskBands.standard
    public var churnHorizonDays = 90
    /// Roles of operating-system users on the command line.
    public var access = AccessGrants()

    public init() {}

    /// Why a configuration file was refused: the file and the key.
    public struct LoadError: Error, CustomStringConvertible, Sendable {
        public let file: String
        public let reason: String
        public var description: String { "\(file): \(reason)" }
    }

    /// The tier a net spend reaches.
    public func tier(forSpend spend: Int64) -> LoyaltyTier {
        tiers.last { spend >= $0.minSpend } ?? tiers[0]
    }

    /// The configuration file that applies to the ledger at `db`: `explicit` when given, else the
    /// ledger's own (`<db>/config.json`, or `<db>/config.toml`) when it has one; nil: the defaults.
    /// The service and every command find it the same way, so that they judge alike (and the loyalty
    /// model, folded by the point rules, is not rebuilt by each in turn).
    public static func file(for db: String, explicit: String?) -> String? {
        if let explicit { return explicit }
        for name in ["config.json", "config.toml"] where Glibc.access(db + "/" + name, F_OK) == 0 { return db + "/" + name }
        return nil
    }

    /// Reads and checks a configuration file; a bad value names its key (`$.sla.targets.respondMinutes`).
    public static func load(path: String) throws(LoadError) -> ClienteleConfiguration {
        try parse(try document(path: path), file: path)
    }

    /// A configuration file's document as written, not yet checked (for callers that change it
    /// first): JSON, or TOML read as the JSON it stands for (`.toml`, or a file that does not start
    /// with `{` and is not named `.json`).
    public static func document(path: String) throws(LoadError) -> JSONValue {
        guard let f = fopen(path, "rb") else { throw LoadError(file: path, reason: String(cString: strerror(errno))) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65_536)
        while true {
            let n = fread(&chunk, 1, chunk.count, f)
            if n <= 0 { break }
            bytes += chunk[0..<n]
        }
        fclose(f)
        let lower = path.lowercased()
        let first = bytes.first { $0 != 0x20 && $0 != 0x09 && $0 != 0x0A && $0 != 0x0D && $0 != 0xEF && $0 != 0xBB && $0 != 0xBF }
        let yaml = lower.hasSuffix(".yaml") || lower.hasSuffix(".yml")
        if lower.hasSuffix(".toml") || (!lower.hasSuffix(".json") && !yaml && first != UInt8(ascii: "{")) {
            return try ConfigurationTOML.document(String(decoding: bytes, as: UTF8.self), file: path)
        }
        do { return try bytes.withUnsafeBufferPointer { try JSONParser.parse($0) } } catch let error as JSONSyntaxError {
            throw LoadError(file: path, reason: syntaxReason(error, in: bytes, path: path))
        } catch {
            throw LoadError(file: path, reason: "\(error)")
        }
    }

    /// Where a configuration file stops being JSON, as a person finds it in an editor (line and
    /// column), and what to do when it is YAML, which is not read.
    static func syntaxReason(_ error: JSONSyntaxError, in bytes: [UInt8], path: String) -> String {
        let end = min(error.offset, bytes.count)
        let line = bytes[..<end].reduce(1) { $1 == 0x0A ? $0 + 1 : $0 }
        let lineStart = bytes[..<end].lastIndex(of: 0x0A).map { $0 + 1 } ?? 0
        let column = String(decoding: bytes[lineStart..<end], as: UTF8.self).count + 1
        var reason = "not JSON at line \(line), column \(column): \(error.reason)"
        let lower = path.lowercased()
        if lower.hasSuffix(".yaml") || lower.hasSuffix(".yml") {
            reason += ". The configuration is JSON or TOML (schemas/configuration.schema.json; examples: schemas/examples/configuration.example.json and .toml); YAML is not read"
        }
        return reason
    }

    /// Checks `json` against the configuration schema and reads it.
    public static func parse(_ json: JSONValue, file: String = "configuration") throws(LoadError) -> ClienteleConfiguration {
        if let v = SchemaCatalog.configurationSchema.validate(json) { throw LoadError(file: file, reason: v.description) }
        var c = ClienteleConfiguration()
        func number(_ v: JSONValue?) -> Double? { if case .number(let n)? = v { return Double(n) } else { return nil } }
        if case .array(let tiers)? = json["loyalty"]?["tiers"] {
            c.tiers = tiers.map { t in
                var benefits: [String] = []
                if case .array(let b)? = t["benefits"] { benefits = b.compactMap(\.stringValue) }
                return LoyaltyTier(name: t["name"]!.stringValue!, minSpend: t["minSpend"]!.int64Value!, benefits: benefits,
                                   pointsMultiplier: number(t["pointsMultiplier"]) ?? 1, birthdayMultiplier: number(t["birthdayMultiplier"]) ?? 1)
            }
            for (i, t) in c.tiers.enumerated() where c.tiers[..<i].contains(where: { $0.name == t.name }) {
                throw LoadError(file: file, reason: "$.loyalty.tiers[\(i)].name: '\(t.name)' names two tiers")
            }
            // Every customer holds a tier (a newcomer the lowest): one that starts above zero would be
            // held, with its benefits, by customers who never spent that much.
            if let (i, lowest) = c.tiers.enumerated().min(by: { $0.element.minSpend < $1.element.minSpend }), lowest.minSpend != 0 {
                throw LoadError(file: file, reason: "$.loyalty.tiers[\(i)].minSpend: the lowest tier ('\(lowest.name)', \(lowest.minSpend)) must start at 0, "
                                + "where every new customer starts; add a tier with minSpend 0 below it")
            }
            c.tiers.sort { $0.minSpend < $1.minSpend }
        }
        if let p = json["loyalty"]?["points"] {
            if let v = p["spendPerPoint"]?.int64Value { c.points.spendPerPoint = v }
            if let v = p["birthdayWindowDays"]?.int64Value { c.points.birthdayWindowDays = Int(v) }
            if case .object(let m)? = p["categoryMultipliers"] { for (k, v) in m { c.points.categoryMultipliers[k] = number(v) ?? 1 } }
        }
        if let s = json["segments"] {
            if let v = s["vipSpend"]?.int64Value { c.segments.vipSpend = v }
            if let v = s["vipFrequency"]?.int64Value { c.segments.vipFrequency = Int(v) }
            if let v = s["vipCategories"]?.int64Value { c.segments.vipCategories = Int(v) }
            if let v = s["rfmLevels"]?.int64Value { c.segments.rfmLevels = Int(v) }
            if case .object(let names)? = s["rfmNames"] {
                var table: [String: String] = [:]
                for (segment, codes) in names {
                    guard case .array(let list) = codes else { continue }
                    for code in list.compactMap(\.stringValue) {
                        let valid = code.count == 3 && code.allSatisfy { ch in ch.wholeNumberValue.map { (1...c.segments.rfmLevels).contains($0) } ?? false }
                        guard valid else {
                            throw LoadError(file: file, reason: "$.segments.rfmNames.\(segment): '\(code)' is not an R, F, M score code of levels 1–\(c.segments.rfmLevels)")
                        }
                        if let other = table[code], other != segment {
                            throw LoadError(file: file, reason: "$.segments.rfmNames.\(segment): '\(code)' is already in \(other)")
                        }
                        table[code] = segment
                    }
                }
                c.segments.rfmNames = table
            }
        }
        func targets(_ j: JSONValue, base: SLAConfiguration.Targets) -> SLAConfiguration.Targets {
            var t = base
            if let v = j["respondMinutes"]?.int64Value { t.respondMinutes = Int(v) }
            if let v = j["planMinutes"]?.int64Value { t.planMinutes = Int(v) }
            if let v = j["closeMinutes"]?.int64Value { t.closeMinutes = Int(v) }
            return t
        }
        func list(_ j: JSONValue?) -> [JSONValue] { if case .array(let a)? = j { return a } else { return [] } }
        /// Dates YYYY-MM-DD as days since 1970-01-01, each checked to be a date of the calendar.
        func dates(_ j: JSONValue?, at path: String) throws(LoadError) -> Set<Int64> {
            var out = Set<Int64>()
            for (i, v) in list(j).enumerated() {
                let text = v.stringValue ?? ""
                guard let t = Timestamp(iso8601: text + "T00:00:00Z"), String(t.iso8601.prefix(10)) == text else {
                    throw LoadError(file: file, reason: "\(path)[\(i)]: '\(text)' is not a date YYYY-MM-DD")
                }
                out.insert(t.microseconds / 86_400_000_000)
            }
            return out
        }
        // Holidays close every store: folded into each calendar here, so a clock reads one set.
        let holidays = try dates(json["sla"]?["holidays"], at: "$.sla.holidays")
        func hours(_ j: JSONValue, at path: String) throws(LoadError) -> SLAConfiguration.BusinessHours {
            func minutes(_ key: String) throws(LoadError) -> Int {
                let text = j[key]!.stringValue!
                let parts = text.split(separator: ":")
                guard parts.count == 2, let h = Int(parts[0]), let m = Int(parts[1]), (0...24).contains(h), (0..<60).contains(m), h * 60 + m <= 1440 else {
                    throw LoadError(file: file, reason: "\(path).\(key): '\(text)' is not a time of day HH:MM")
                }
                return h * 60 + m
            }
            let opens = try minutes("opens"), closes = try minutes("closes")
            guard opens < closes else { throw LoadError(file: file, reason: "\(path): opens must be before closes") }
            let weekdays = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
            let closedWeekdays = Set(list(j["closedWeekdays"]).compactMap { $0.stringValue.flatMap { weekdays.firstIndex(of: $0) }.map { $0 + 1 } })
            guard closedWeekdays.count < 7 else { throw LoadError(file: file, reason: "\(path).closedWeekdays: a store closed every day has no business hours") }
            return .init(opens: opens, closes: closes, offsetMinutes: Int(j["utcOffsetMinutes"]?.int64Value ?? 480),
                         closedWeekdays: closedWeekdays, closedDays: try dates(j["closedDates"], at: path + ".closedDates").union(holidays))
        }
        if let s = json["sla"] {
            if let t = s["targets"] { c.sla.defaultTargets = targets(t, base: c.sla.defaultTargets) }
            if case .object(let o)? = s["overrides"] {
                // A misspelt category or severity would be an override that never applies.
                for (k, _) in o {
                    let parts = k.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
                    if ComplaintFiledV1Category(rawValue: parts[0]) == nil {
                        let known = ComplaintFiledV1Category.allCases.map(\.rawValue).joined(separator: ", ")
                        throw LoadError(file: file, reason: "$.sla.overrides.\(k): '\(parts[0])' is not a complaint category (\(known))")
                    }
                    if parts.count > 2 || (parts.count == 2 && ComplaintFiledV1Severity(rawValue: parts[1]) == nil) {
                        let known = ComplaintFiledV1Severity.allCases.map(\.rawValue).joined(separator: ", ")
                        throw LoadError(file: file, reason: "$.sla.overrides.\(k): '\(parts.dropFirst().joined(separator: "/"))' is not a severity (\(known)); a key is 'category' or 'category/severity'")
                    }
                }
                // A category's own targets first: a "category/severity" override changes only the
                // targets it names and keeps the rest of its category's (or the defaults).
                for (k, v) in o where !k.contains("/") { c.sla.overrides[k] = targets(v, base: c.sla.defaultTargets) }
                for (k, v) in o where k.contains("/") {
                    let category = String(k[..<k.firstIndex(of: "/")!])
                    c.sla.overrides[k] = targets(v, base: c.sla.overrides[category] ?? c.sla.defaultTargets)
                }
            }
            if case .number(let n)? = s["warningShare"], let d = Double(n) { c.sla.warningShare = d }
            if case .array(let list)? = s["escalateSeverities"] { c.sla.escalateSeverities = Set(list.compactMap(\.stringValue)) }
            if let h = s["businessHours"] { c.sla.defaultHours = try hours(h, at: "$.sla.businessHours") } else { c.sla.defaultHours.closedDays = holidays }
            if case .object(let o)? = s["storeHours"] { for (k, v) in o { c.sla.hours[k] = try hours(v, at: "$.sla.storeHours.\(k)") } }
        }
        if let ch = json["churn"] {
            let low = ch["lowBelow"].flatMap { if case .number(let n) = $0 { return Double(n) } else { return nil } } ?? c.churnBands.lowBelow
            let high = ch["highAbove"].flatMap { if case .number(let n) = $0 { return Double(n) } else { return nil } } ?? c.churnBands.highAbove
            do { c.churnBands = try ChurnRiskBands(lowBelow: low, highAbove: high) } catch {
                throw LoadError(file: file, reason: "$.churn: lowBelow must not exceed highAbove")
            }
            if let d = ch["horizonDays"]?.int64Value { c.churnHorizonDays = Int(d) }
        }
        do { c.access = try AccessGrants.parse(json["access"]) } catch { throw LoadError(file: file, reason: error.description) }
        return c
    }
}
