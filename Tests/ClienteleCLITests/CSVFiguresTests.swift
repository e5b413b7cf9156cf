import Foundation
import Testing

/// `--format csv` of the commands whose CSV is not a list of rows of one kind: the 360 view
/// (field,value records), the daily report (one figure a record) and the staff KPIs. Each must
/// say what its JSON says.
extension CSVOutputTests {
    @Test("customer, report daily and staff as CSV carry the same figures as their JSON")
    func csvMatchesJSON() throws {
        let ledger = try GeneratedLedger("csv-json", generate: ["--customers", "60", "--days", "200", "--seed", "4"]); defer { ledger.remove() }
        // The customer's and the events' personal fields are unsealed with the key; the reports have none.
        func run(_ args: [String]) throws -> String {
            let unseals = ["customer", "events"].contains(args[0])
            let r = try ClienteleBinary.run(args + ["--db", ledger.db] + (unseals ? ["--master-key-file", ledger.key] : []))
            #expect(r.status == 0, "\(args): \(r.stderr)")
            return r.stdout
        }
        func json(_ text: String) throws -> [String: Any] {
            try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
        }

        // A customer with a purchase, and the store and day of it.
        let purchase = try json(try #require(try run(["events", "--type", "PurchaseRecorded", "--through", "400"]).split(separator: "\n").first.map(String.init)))
        let customer = try #require(purchase["customer"] as? String)
        let store = try #require(purchase["store"] as? String), date = String(try #require(purchase["occurredAt"] as? String).prefix(10))

        // The 360: one field,value record each, values plain (money in minor units).
        let view = try json(try run(["customer", customer, "--format", "json"]))
        let records = Self.records(try run(["customer", customer, "--format", "csv"])).filter { !$0.isEmpty }
        #expect(records.first == ["field", "value"])
        #expect(records.allSatisfy { $0.count == 2 }, "\(records)")
        func values(_ field: String) -> [String] { records.filter { $0[0] == field }.map { $0[1] } }
        let summary = try #require(view["summary"] as? [String: Any])
        let loyalty = try #require(view["loyalty"] as? [String: Any])
        let profile = try #require(view["profile"] as? [String: Any])
        #expect(values("customer") == [customer])
        #expect(values("name") == [try #require(profile["name"] as? String)])
        #expect(values("receipts") == ["\(try #require(summary["receipts"] as? Int))"])
        #expect(values("net_spend_minor") == ["\(try #require(summary["netSpend"] as? Int))"])
        #expect(values("points") == ["\(try #require(loyalty["points"] as? Int))"])
        #expect(values("visits") == ["\(try #require(summary["visits"] as? Int))"])
        let receipts = try #require(summary["recentReceipts"] as? [[String: Any]])
        #expect(!receipts.isEmpty)
        #expect(Set(values("receipt")) == Set(receipts.compactMap { $0["receipt"] as? String }))
        #expect(Set(values("receipt_total_minor")) == Set(receipts.compactMap { ($0["total"] as? Int).map(String.init) }))

        // The daily report of the purchase's store and day: the same figures as its JSON.
        let dayArgs = ["report", "daily", "--store", store, "--date", date]
        let day = try #require(try json(try run(dayArgs + ["--format", "json"]))["summary"] as? [String: Any])
        let figures = Self.records(try run(dayArgs + ["--format", "csv"])).filter { !$0.isEmpty }
        #expect(figures.first == ["store", "date", "measure", "item", "value"])
        #expect(figures.dropFirst().allSatisfy { $0.count == 5 && $0[0] == store && $0[1] == date }, "\(figures)")
        func figure(_ measure: String) -> String? { figures.first { $0[2] == measure }?[4] }
        #expect((day["purchases"] as? Int ?? 0) > 0)
        for (measure, key) in [("visits", "visits"), ("purchases", "purchases"), ("revenue_minor", "revenue"), ("returns", "returns"),
                               ("refunded_minor", "refunded"), ("complaints_opened", "complaintsOpened"), ("complaints_closed", "complaintsClosed"),
                               ("callbacks", "callbacks"), ("new_customers", "newCustomers")] {
            #expect(figure(measure) == (day[key] as? Int).map(String.init), "\(measure)")
        }
        #expect(figures.first { $0[2] == "revenue_minor" }?[3] == day["currency"] as? String)
        let reasons = try #require(day["returnReasons"] as? [String: Int])
        #expect(Dictionary(uniqueKeysWithValues: figures.filter { $0[2] == "returns_by_reason" }.map { ($0[3], Int($0[4]) ?? -1) }) == reasons)

        // The staff KPIs: one record per staff member, in the JSON's order (the service star first).
        let staff = try run(["staff", "--format", "json"]).split(separator: "\n").map { try json(String($0)) }
        let rows = Self.records(try run(["staff", "--format", "csv"])).filter { !$0.isEmpty }
        #expect(!staff.isEmpty)
        #expect(rows.first == ["staff", "complaints_handled", "average_respond_minutes", "average_resolve_minutes", "sla_hit_rate", "csat", "service_star",
                              "complaints_filed", "callbacks_made"])
        #expect(rows.dropFirst().map { "\($0[0]) \($0[1])" } == staff.map { "\($0["staff"] as? String ?? "") \($0["complaintsHandled"] as? Int ?? -1)" })
        // The service star is named in both, and is the one the table names.
        let stars = staff.filter { $0["serviceStar"] as? Bool == true }.map { $0["staff"] as? String ?? "" }
        #expect(stars.count == 1, "the generated chain's callbacks rate resolutions: \(staff)")
        #expect(rows.dropFirst().filter { $0[6] == "yes" }.map { $0[0] } == stars)
        #expect(try run(["staff"]).contains("Service star of all months (--month YYYY-MM for one): \(stars.first ?? "?")"))
    }
}
