import Testing
import CustomerBase
import CustomerEvents
import Ledger
import LedgerJSON
import Projections
import Foundation

@Suite("Configuration")
struct ConfigurationTests {
    static let example = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("schemas/examples/configuration.example.json").path

    @Test("the example configuration loads, and its values take effect")
    func example() throws {
        let c = try ClienteleConfiguration.load(path: ConfigurationTests.example)
        #expect(c.tiers.map(\.name) == ["member", "silver", "gold"])
        #expect(c.tier(forSpend: 250_000).name == "silver" && c.tier(forSpend: 5).name == "member")
        #expect(c.sla.overrides["product-quality/critical"]?.respondMinutes == 30)
        #expect(c.sla.overrides["product-quality/critical"]?.closeMinutes == 1440, "unnamed targets keep the defaults")
        // The chain's holidays (2027-02-06 and 07) close every store, besides a store's own dates.
        let holidays: Set<Int64> = [Timestamp(iso8601: "2027-02-06T00:00:00Z")!.microseconds / 86_400_000_000,
                                    Timestamp(iso8601: "2027-02-07T00:00:00Z")!.microseconds / 86_400_000_000]
        #expect(c.sla.defaultHours == .init(opens: 600, closes: 1320, offsetMinutes: 480, closedDays: holidays))
        #expect(c.sla.hours["SH-MALL-DESK"]?.opens == 570)
        #expect(c.sla.hours["SH-MALL-DESK"]?.closedDays == holidays.union([Timestamp(iso8601: "2026-12-31T00:00:00Z")!.microseconds / 86_400_000_000]))
        #expect(c.churnHorizonDays == 90)
        #expect(c.points.spendPerPoint == 100 && c.points.categoryMultipliers["cosmetics"] == 2 && c.points.birthdayWindowDays == 30)
        #expect(c.tiers[2].pointsMultiplier == 1.5 && c.tiers[1].birthdayMultiplier == 2)
    }

    @Test("a category and severity's override keeps the targets it does not name from its category's override")
    func overridesLayer() throws {
        let text = #"{"sla":{"targets":{"planMinutes":300},"overrides":{"price/critical":{"respondMinutes":30},"price":{"closeMinutes":720}}}}"#
        let c = try ClienteleConfiguration.parse(try JSONParser.parse(text))
        let critical = c.sla.targets(category: "price", severity: "critical")
        #expect((critical.respondMinutes, critical.planMinutes, critical.closeMinutes) == (30, 300, 720))
        let minor = c.sla.targets(category: "price", severity: "minor")
        #expect((minor.respondMinutes, minor.planMinutes, minor.closeMinutes) == (60, 300, 720))
    }

    @Test("a bad value is refused naming its key", arguments: [
        (#"{"sla":{"targets":{"respondMinutes":0}}}"#, "$.sla.targets.respondMinutes"),
        (#"{"sla":{"overrides":{"price":{"planMinutes":"soon"}}}}"#, "$.sla.overrides.price.planMinutes"),
        (#"{"sla":{"storeHours":{"S1":{"opens":"25:00","closes":"22:00"}}}}"#, "$.sla.storeHours.S1.opens"),
        (#"{"loyalty":{"tiers":[{"name":"gold"}]}}"#, "$.loyalty.tiers[0].minSpend"),
        (#"{"churn":{"lowBelow":0.8,"highAbove":0.5}}"#, "$.churn"),
        (#"{"colour":"blue"}"#, "$.colour"),
        (#"{"loyalty":{"points":{"spendPerPoint":0}}}"#, "$.loyalty.points.spendPerPoint"),
        (#"{"loyalty":{"points":{"categoryMultipliers":{"shoes":-1}}}}"#, "$.loyalty.points.categoryMultipliers.shoes"),
        (#"{"loyalty":{"tiers":[{"name":"gold","minSpend":0,"pointsMultiplier":"double"}]}}"#, "$.loyalty.tiers[0].pointsMultiplier"),
        (#"{"loyalty":{"tiers":[{"name":"gold","minSpend":0},{"name":"gold","minSpend":5}]}}"#, "$.loyalty.tiers[1].name"),
        (#"{"segments":{"rfmLevels":3,"rfmNames":{"Champions":["335"]}}}"#, "$.segments.rfmNames.Champions"),
        (#"{"segments":{"rfmNames":{"Champions":["555"],"Loyal":["555"]}}}"#, "$.segments.rfmNames.Loyal"),
        (#"{"segments":{"rfmLevels":1}}"#, "$.segments.rfmLevels"),
        (#"{"loyalty":{"tiers":[{"name":"gold","minSpend":500000},{"name":"silver","minSpend":200000}]}}"#, "$.loyalty.tiers[1].minSpend"),
        (#"{"sla":{"overrides":{"product-qualty":{"respondMinutes":30}}}}"#, "$.sla.overrides.product-qualty"),
        (#"{"sla":{"overrides":{"price/urgent":{"respondMinutes":30}}}}"#, "$.sla.overrides.price/urgent"),
    ])
    func refused(text: String, key: String) throws {
        do {
            _ = try ClienteleConfiguration.parse(try JSONParser.parse(text))
            Issue.record("accepted \(text)")
        } catch let error as ClienteleConfiguration.LoadError {
            #expect(error.reason.hasPrefix(key), "\(error)")
        }
    }

    @Test("the TOML example says what the JSON example says")
    func tomlExample() throws {
        let toml = ConfigurationTests.example.replacingOccurrences(of: ".json", with: ".toml")
        /// Objects with their members in key order: TOML keeps tables sorted, the JSON file as written.
        func canonical(_ v: JSONValue) -> JSONValue {
            switch v {
            case .object(let m): return .object(m.sorted { $0.0 < $1.0 }.map { ($0.0, canonical($0.1)) })
            case .array(let a): return .array(a.map(canonical))
            case .number(let n): return .number(Double(n).map { String($0) } ?? n)
            default: return v
            }
        }
        #expect(canonical(try ClienteleConfiguration.document(path: toml)) == canonical(try ClienteleConfiguration.document(path: ConfigurationTests.example)))
        let c = try ClienteleConfiguration.load(path: toml)
        #expect(c.tiers.map(\.name) == ["member", "silver", "gold"] && c.tiers[2].pointsMultiplier == 1.5)
        #expect(c.sla.overrides["product-quality/critical"]?.respondMinutes == 30 && c.sla.hours["SH-MALL-DESK"]?.opens == 570)
        #expect(c.access.users["mei"]?.stores == ["S1"])
    }

    @Test("TOML: a bad value names its key as in JSON; a syntax error its line and column", arguments: [
        ("config.toml", "[sla.targets]\nrespondMinutes = 0\n", "$.sla.targets.respondMinutes"),
        ("clientele.conf", "[loyalty.points]\nspendPerPoint = \"100\"\n", "$.loyalty.points.spendPerPoint"),
        ("config.toml", "[sla.businessHours]\nopens = 10:00:00\n", "$.sla.businessHours.opens: a TOML time"),
        ("config.toml", "[sla.targets]\nrespondMinutes = 30\nplanMinutes =\n", "not TOML at line 3, column"),
        ("clientele.conf", "sla:\n  targets:\n    respondMinutes: 30\n", "not TOML at line 1, column"),
    ])
    func toml(name: String, text: String, reason: String) throws {
        guard let (_, error) = try Self.refusal(of: text, named: name) else { return }
        #expect(error.reason.hasPrefix(reason), "\(error)")
    }

    /// Loads `text` from a file named `name`: where it was and why it was refused (nil, with an
    /// issue recorded, when it was accepted).
    static func refusal(of text: String, named name: String) throws -> (path: String, error: ClienteleConfiguration.LoadError)? {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("clientele-config-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent(name).path
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
        do {
            _ = try ClienteleConfiguration.load(path: path)
            Issue.record("accepted \(name): \(text)")
            return nil
        } catch {
            return (path, error)
        }
    }

    @Test("a JSON file that is not JSON is refused at its line and column; YAML is told to be JSON or TOML", arguments: [
        ("config.json", "{\n  \"sla\": {\n    \"targets\": {\"respondMinutes\": 30,}\n  }\n}\n", "line 3, column 38", false),
        ("config.json", "[sla.targets]\nrespondMinutes = 30\n", "line 1, column 2", false),
        ("config.yaml", "sla:\n  targets:\n    respondMinutes: 30\n", "line 1, column 1", true),
        ("config.yml", "{\"sla\": 1\n", "line 2, column 1", true),
    ])
    func notJSON(name: String, text: String, place: String, hint: Bool) throws {
        guard let (path, error) = try Self.refusal(of: text, named: name) else { return }
        let message = "\(error)"
        #expect(message.hasPrefix(path + ": not JSON at " + place), "\(message)")
        #expect(message.contains("YAML is not read") == hint, "\(message)")
    }
}

@Suite("RFM schemes")
struct RFMSchemeTests {
    /// Customers 0…n-1: customer i bought i+1 days, spent (i+1)·1000, last bought i days before `now`.
    static func summaries(_ n: Int, now: Int64) -> [(String, CustomerSummary)] {
        (0..<n).map { i in
            var s = CustomerSummary()
            s.purchaseDays = SmallList((0...i).map { Int64($0) })
            s.receipts = i + 1
            s.netSpend = Int64(i + 1) * 1000
            s.lastPurchaseAt = now - Int64(i) * 86_400_000_000
            return (String(format: "C%03d", i), s)
        }
    }

    @Test("the order the summaries come in changes no segment, and ties in frequency still split by id")
    func orderIndependent() {
        let now: Int64 = 1_800_000_000_000_000
        var generator = SystemRandomNumberGenerator()
        let all: [(String, CustomerSummary)] = (0..<400).map { i in
            var s = CustomerSummary()
            let bought = i % 7 != 0
            s.receipts = bought ? Int.random(in: 1...9, using: &generator) : 0
            s.purchaseDays = bought ? SmallList((0..<Int.random(in: 1...4, using: &generator)).map { Int64($0 * 3) }) : []
            s.netSpend = bought ? Int64.random(in: 0...2_000_000, using: &generator) : 0
            s.lastPurchaseAt = bought ? now - Int64.random(in: 0...400, using: &generator) * 86_400_000_000 : nil
            return (String(format: "C%04d", i), s)
        }
        let inOrder = Segmentation.assign(all, now: Timestamp(microseconds: now))
        #expect(Segmentation.assign(all.shuffled(), now: Timestamp(microseconds: now)) == inOrder)
        #expect(Segmentation.assign(all.reversed(), now: Timestamp(microseconds: now)) == inOrder)
        #expect(inOrder.count == all.count)
    }

    @Test("the kind follows the customer's own summary; the RFM scores come from the last ranking")
    func currentSegment() {
        let rules = SegmentRules()
        var s = CustomerSummary()
        let ranked = SegmentAssignment(kind: .regular, rfm: (3, 2, 4), rfmSegment: "Need Attention")
        #expect(Segmentation.current(s, ranked: ranked, rules: rules) == SegmentAssignment(kind: .potential, rfm: nil, rfmSegment: nil))
        s.receipts = 1
        s.purchaseDays = [20_000]
        s.netSpend = 500
        #expect(Segmentation.current(s, ranked: nil, rules: rules) == SegmentAssignment(kind: .regular, rfm: nil, rfmSegment: nil))
        #expect(Segmentation.current(s, ranked: ranked, rules: rules) == ranked)
        s.netSpend = rules.vipSpend
        #expect(Segmentation.current(s, ranked: ranked, rules: rules) == SegmentAssignment(kind: .vip, rfm: (3, 2, 4), rfmSegment: "Need Attention"))
    }

    @Test("the standard scheme: quintiles named by domain.md's table")
    func standard() {
        let now: Int64 = 1_800_000_000_000_000
        let a = Segmentation.assign(Self.summaries(10, now: now), now: Timestamp(microseconds: now))
        // The newest, most frequent and biggest spender is … the biggest spender last bought longest ago.
        #expect(a["C000"]?.rfm?.r == 5 && a["C000"]?.rfm?.f == 1 && a["C000"]?.rfm?.m == 1)
        #expect(a["C000"]?.rfmSegment == "New")
        #expect(a["C009"]?.rfm?.r == 1 && a["C009"]?.rfmSegment == "Can't Lose Them")
    }

    @Test("another scheme: three levels and the analyst's own names; codes it lacks are named by the code")
    func tertiles() throws {
        let now: Int64 = 1_800_000_000_000_000
        let c = try ClienteleConfiguration.parse(try JSONParser.parse(
            #"{"segments":{"rfmLevels":3,"rfmNames":{"Recent":["311","322"],"At risk":["133"]}}}"#))
        #expect(c.segments.rfmLevels == 3)
        let a = Segmentation.assign(Self.summaries(9, now: now), now: Timestamp(microseconds: now), rules: c.segments)
        let scores = a.values.compactMap(\.rfm)
        #expect(scores.count == 9 && scores.allSatisfy { (1...3).contains($0.r) && (1...3).contains($0.f) && (1...3).contains($0.m) })
        #expect(Set(scores.map(\.r)) == [1, 2, 3])
        #expect(a["C000"]?.rfmSegment == "Recent" && a["C008"]?.rfmSegment == "At risk")
        #expect(a["C004"]?.rfmSegment == "222")
        // Three levels without names: the code is the name.
        var plain = SegmentRules()
        plain.rfmLevels = 3
        #expect(Segmentation.assign(Self.summaries(9, now: now), now: Timestamp(microseconds: now), rules: plain)["C004"]?.rfmSegment == "222")
    }
}

@Suite("Churn risk")
struct ChurnTests {
    @Test("an unresolved complaint raises the risk and asks for it to be resolved; actions respect consent")
    func signals() throws {
        func summary(days: [Int64], complaint: Int64? = nil, channels: [String] = []) -> CustomerSummary {
            var s = CustomerSummary()
            s.purchaseDays = SmallList(days)
            s.receipts = days.count
            s.netSpend = Int64(days.count) * 10_000
            s.marketingChannels = SmallList(channels)
            if let complaint { s.unresolvedComplaintSince["CP-9"] = complaint; s.openComplaints = ["CP-9"] }
            return s
        }
        let now = Timestamp(iso8601: "2025-12-31T12:00:00+08:00")!
        let today = (now.microseconds + 8 * 3_600_000_000) / 86_400_000_000
        // A population from the synthetic chain (customers who buy and drop out), so the model can be fitted.
        let f = try Fixture("churn"); defer { f.remove() }
        try f.append(f.chain(customers: 600, days: 365, seed: 8))
        var people = try f.models.fold(CustomerSummaryProjector(), asOf: .time(now)).map { ($0.key, $0.value) }
        let base = summary(days: [today - 200, today - 180, today - 160, today - 140], channels: ["wechat"])
        var complaining = base
        complaining.unresolvedComplaintSince["CP-9"] = now.microseconds - 3 * 86_400_000_000
        var noConsent = base
        noConsent.marketingChannels = []
        people += [("A", base), ("B", complaining), ("C", noConsent)]
        let result = try ChurnModel.assess(people, now: now, configuration: ClienteleConfiguration())
        let by = Dictionary(uniqueKeysWithValues: result.assessments.map { ($0.customer, $0) })
        let a = try #require(by["A"]), b = try #require(by["B"]), c = try #require(by["C"])
        #expect(b.risk > a.risk)
        #expect(b.action == "resolve complaint CP-9 first")
        #expect(b.reasons.contains { $0.contains("CP-9 unresolved for 3 days") })
        #expect(a.reasons[0] == "140 days since the last purchase, usual gap 20 days")
        #expect(a.band != .low)
        #expect(a.action.contains("wechat"))
        #expect(c.action.hasPrefix("no marketing consent"))
        #expect(abs(a.probabilityAlive - (result.fit!.model.probabilityAlive(try CustomerHistory(frequency: 3, recency: 60, age: 200)))) < 1e-9)
    }

    @Test("a one-time buyer's risk grows with the wait for a second purchase (BG/NBD alone holds them active for sure)")
    func oneTimeBuyers() throws {
        let now = Timestamp(iso8601: "2025-12-31T12:00:00+08:00")!
        let today = (now.microseconds + 8 * 3_600_000_000) / 86_400_000_000
        let f = try Fixture("churn-once"); defer { f.remove() }
        try f.append(f.chain(customers: 600, days: 365, seed: 8))
        var people = try f.models.fold(CustomerSummaryProjector(), asOf: .time(now)).map { ($0.key, $0.value) }
        for (id, ago) in [("recent", Int64(2)), ("lapsed", 300), ("long-gone", 1_000)] {
            var s = CustomerSummary()
            s.purchaseDays = SmallList([today - ago])
            s.receipts = 1
            s.netSpend = 10_000
            s.marketingChannels = SmallList(["sms"])
            people.append((id, s))
        }
        let result = try ChurnModel.assess(people, now: now, configuration: ClienteleConfiguration())
        let model = try #require(result.fit).model
        let by = Dictionary(uniqueKeysWithValues: result.assessments.map { ($0.customer, $0) })
        let recent = try #require(by["recent"]), lapsed = try #require(by["lapsed"]), gone = try #require(by["long-gone"])
        #expect(recent.risk < lapsed.risk && lapsed.risk < gone.risk)
        for (a, ago) in [(recent, 2.0), (lapsed, 300), (gone, 1_000)] {
            let h = try CustomerHistory(frequency: 0, recency: 0, age: ago)
            #expect(model.probabilityAlive(h) == 1)
            #expect(abs(a.probabilityAlive - model.probabilityAliveCountingFirstPurchase(h)) < 1e-12)
            #expect(abs(a.risk - (1 - a.probabilityAlive)) < 1e-12)
            #expect(abs(a.expectedPurchases - model.expectedPurchases(in: 90, given: h) * a.probabilityAlive) < 1e-12)
            #expect(a.reasons[0] == "bought once, \(Int(ago)) days ago")
            #expect(a.reasons[1] == "P(active) \(Int((a.probabilityAlive * 100).rounded())) % by BG/NBD, the one purchase counted as a chance to leave")
        }
        // Nobody is sure to be gone after one purchase (slow buyers exist), but the one who has
        // not come back in 1,000 days is no longer "low" and gets the win-back action.
        #expect(recent.band == .low, "\(recent)")
        #expect(recent.action == "none needed")
        #expect(gone.band != .low, "\(gone)")
        #expect(gone.action.hasSuffix("by sms"), "\(gone)")
    }
}
