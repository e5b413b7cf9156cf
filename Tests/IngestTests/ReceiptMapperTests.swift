import Testing
import TestSupport
import Foundation
import CustomerEvents
import Ingest
import Ledger
import LedgerJSON
import POSImport

/// Quantities as the POS reader gives them (CustomerEvents has an ExactDecimal of its own).
typealias Qty = POSImport.ExactDecimal

/// How one receipt becomes events, decided case by case where the export and the catalog differ.
@Suite("Receipts to events")
struct ReceiptMapperTests {
    static let key = MasterKey.generate()
    let mapper = ReceiptMapper(defaultStore: "store-1", identity: CustomerIdentity(pseudonymizer: Pseudonymizer(masterKey: key, purpose: "pos-customer")))
    let at = Timestamp(iso8601: "2026-05-23T13:40:44-04:00")!

    func line(_ n: Int, sku: String? = "SKU-0", name: String = "Latte", qty: Qty = Qty(value: 1),
              unit: Int64? = 450, discount: Int64 = 0, amount: Int64? = 450, category: String? = nil) -> ImportedLine {
        ImportedLine(fileLine: n, sku: sku, name: name, category: category, quantity: qty, unitPrice: unit, discount: discount, amount: amount)
    }

    func receipt(_ kind: ReceiptKind = .sale, id: String? = "R-1", lines: [ImportedLine], total: Int64,
                 customer: ImportedCustomer? = ImportedCustomer(externalId: "C-9"), original: String? = nil,
                 profile: String = "uci-online-retail") -> ImportedReceipt {
        ImportedReceipt(profile: profile, receiptId: id, kind: kind, originalReceiptId: original, occurredAt: at,
                        customer: customer, currency: "USD", lines: lines, total: total, paymentType: "Visa", fileLines: [2])
    }

    func map(_ r: ImportedReceipt, registering: Bool = false) throws(ReceiptMappingError) -> MappedReceipt {
        let context = ReceiptContext(receiptId: r.receiptId ?? "derived", store: try mapper.store(of: r),
                                     customer: try mapper.customer(of: r), registering: registering)
        return try mapper.events(for: r, in: context)
    }

    /// Every mapped event must pass the catalog.
    func checkAll(_ m: MappedReceipt) throws {
        let folder = Fixtures.temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        var options = LedgerOptions()
        options.create = true
        let ledger = CustomerLedger(ledger: try Ledger(path: folder, options: options), keys: try KeyStore(ledgerPath: folder, masterKey: Self.key))
        defer { ledger.close() }
        for e in m.events { _ = try ledger.check(e.event, payload: e.payload) }
    }

    @Test("customer numbers, contact details and stores are read in NFC: one person, one stream, whatever the spelling")
    func canonicalSpelling() throws {
        let composed = receipt(lines: [line(2)], total: 450, customer: ImportedCustomer(externalId: "Jos\u{E9}-7"))
        let decomposed = receipt(lines: [line(2)], total: 450, customer: ImportedCustomer(externalId: "Jose\u{301}-7"))
        let a = try #require(try mapper.customer(of: composed)), b = try #require(try mapper.customer(of: decomposed))
        #expect(Array(a.utf8) == Array(b.utf8))
        #expect(CanonicalText.isNormalized(b))
        // Known only by name: the pseudonym is of the composed name.
        let byName = { (name: String) in ImportedCustomer(externalId: name, name: name) }
        let c = try mapper.customer(of: receipt(lines: [line(2)], total: 450, customer: byName("Zo\u{EB}"), profile: "shopify"))
        let d = try mapper.customer(of: receipt(lines: [line(2)], total: 450, customer: byName("Zoe\u{308}"), profile: "shopify"))
        #expect(c != nil && c.map { Array($0.utf8) } == d.map { Array($0.utf8) })
        var r = receipt(lines: [line(2)], total: 450)
        r.store = "Caf\u{E9}-east"
        let s1 = try mapper.store(of: r)
        r.store = "Cafe\u{301}-east"
        #expect(Array(try mapper.store(of: r).utf8) == Array(s1.utf8))
    }

    @Test("a sale: one PurchaseRecorded v2 with its lines, exact money, payment; source and external id")
    func sale() throws {
        let r = receipt(lines: [line(2, sku: "A1", qty: Qty(value: 2), unit: 450, discount: 100, amount: 800, category: "drinks"),
                                line(3, sku: nil, name: "Bagel", unit: 300, amount: 300)], total: 1_100)
        let m = try map(r, registering: true)
        try checkAll(m)
        #expect(m.events.map(\.event.type) == ["CustomerRegistered", "PurchaseRecorded"])
        #expect(m.events[0].event.expectedVersion == .noStream)
        #expect(m.events[0].payload == .object([]))                // no personal data in this export
        let p = m.events[1]
        #expect(p.event.schemaVersion == 2 && p.event.customer == "uci:C-9" && p.event.store == "store-1")
        #expect(p.event.actor == "pos-import" && p.event.channel == "pos" && p.event.occurredAt == at)
        #expect(p.event.source == SourceReference(source: "pos:uci:store-1", externalId: "R-1"))
        var w = JSONWriter()
        w.write(p.payload)
        #expect(w.text == #"{"receipt":"R-1","lines":[{"sku":"A1","name":"Latte","quantity":2,"unitPrice":{"minor":450,"currency":"USD"},"discount":{"minor":100,"currency":"USD"},"category":"drinks"},{"sku":"Bagel","name":"Bagel","quantity":1,"unitPrice":{"minor":300,"currency":"USD"},"category":"uncategorized"}],"total":{"minor":1100,"currency":"USD"},"payment":"Visa"}"#)
        #expect(!m.unitemized)
    }

    @Test("a return the export does not link names itself as original; quantities and refunds are positive")
    func unlinkedReturn() throws {
        let r = receipt(.cancellation, id: "C536379", lines: [line(5, sku: "D", qty: Qty(value: -1), unit: 2_750, amount: -2_750)], total: -2_750)
        let m = try map(r)
        try checkAll(m)
        #expect(m.events.count == 1)
        let e = m.events[0]
        #expect(e.event.type == "ReturnRecorded" && e.event.source?.externalId == "C536379/return")
        #expect(e.payload["receipt"] == .string("C536379") && e.payload["originalReceipt"] == .string("C536379"))
        #expect(e.payload["refund"] == .object([("minor", .number("2750")), ("currency", .string("USD"))]))
        #expect(e.payload["lines"] == .array([.object([("sku", .string("D")), ("quantity", .number("1")),
                                                        ("refund", .object([("minor", .number("2750")), ("currency", .string("USD"))]))])]))
        let linked = try map(receipt(.refund, id: "T-9", lines: [], total: -500, original: "T-1"))
        #expect(linked.events[0].payload["originalReceipt"] == .string("T-1"))
        #expect(linked.unitemized)
    }

    @Test("lines that cannot be written exactly: the receipt becomes one UNITEMIZED line with its total")
    func unitemized() throws {
        // Three for 10.00: no exact unit price.
        let r = receipt(lines: [line(2, qty: Qty(value: 3), unit: nil, amount: 1_000), line(3, name: "Bagel", unit: 300, amount: 300)], total: 1_300)
        let m = try map(r)
        try checkAll(m)
        #expect(m.unitemized)
        #expect(m.events[0].payload["lines"] == .array([.object([
            ("sku", .string("UNITEMIZED")), ("name", .string("3 × Latte, 1 × Bagel")), ("quantity", .number("1")),
            ("unitPrice", .object([("minor", .number("1300")), ("currency", .string("USD"))])), ("category", .string("uncategorized")),
        ])]))
        // A unit price that divides out exactly is used.
        let exact = try map(receipt(lines: [line(2, qty: Qty(value: 4), unit: nil, discount: 0, amount: 1_000)], total: 1_000))
        #expect(!exact.unitemized)
        #expect(exact.events[0].payload["lines"]?.arrayItems.first?["unitPrice"]?["minor"] == .number("250"))
    }

    @Test("zero lines with no money are left out; a sale with a returned line is refused")
    func signs() throws {
        let kept = try map(receipt(lines: [line(2), line(3, qty: Qty(value: 0), amount: 0)], total: 450))
        #expect(kept.events[0].payload["lines"]?.arrayItems.count == 1)
        #expect(throws: ReceiptMappingError.self) {
            _ = try map(receipt(lines: [line(2), line(3, qty: Qty(value: -1), amount: -450)], total: 0))
        }
        do {
            _ = try map(receipt(lines: [line(2), line(7, qty: Qty(value: -1), amount: -450)], total: 0))
        } catch {
            guard case .unrecordable(let field, let reason) = error else { Issue.record("\(error)"); return }
            #expect(field == "quantity" && reason.contains("line 7"))
        }
    }

    @Test("without a SKU the item name stands in; long names are cut with a hash so they stay apart")
    func skuFromName() throws {
        let long = String(repeating: "Organic oat milk flat white, extra hot, ", count: 3)
        let other = long + "decaf"
        let a = try map(receipt(lines: [line(2, sku: nil, name: long)], total: 450)).events[0].payload["lines"]?.arrayItems.first?["sku"]?.stringValue
        let b = try map(receipt(lines: [line(2, sku: nil, name: other)], total: 450)).events[0].payload["lines"]?.arrayItems.first?["sku"]?.stringValue
        let again = try map(receipt(lines: [line(2, sku: nil, name: long)], total: 450)).events[0].payload["lines"]?.arrayItems.first?["sku"]?.stringValue
        #expect(a != nil && a == again && a != b)
        #expect(a!.unicodeScalars.count == 64 && a!.hasPrefix(String(long.prefix(55)) + "~"))
    }

    @Test("customers: the export's number under its system; contact details only as a keyed pseudonym")
    func customers() throws {
        #expect(try mapper.customer(of: receipt(lines: [], total: 0, customer: ImportedCustomer(externalId: "17850"))) == "uci:17850")
        #expect(try mapper.customer(of: receipt(lines: [], total: 0, profile: "square-items")) == "square:C-9")
        #expect(try mapper.customer(of: receipt(lines: [], total: 0, customer: nil)) == nil)
        let byEmail = ImportedCustomer(externalId: "ann@example.com", name: "Ann", email: "ann@example.com")
        let id = try #require(try mapper.customer(of: receipt(lines: [], total: 0, customer: byEmail, profile: "shopify")))
        #expect(id.hasPrefix("contact:") && !id.contains("ann"))
        // The same email in another system, or in capitals, is the same person.
        let again = ImportedCustomer(externalId: "Ann@Example.com", email: "Ann@Example.com")
        #expect(try mapper.customer(of: receipt(lines: [], total: 0, customer: again, profile: "loyverse")) == id)
        // The same phone written two ways.
        let p1 = ImportedCustomer(externalId: "+1 (555) 000-0001", phone: "+1 (555) 000-0001")
        let p2 = ImportedCustomer(externalId: "+15550000001", phone: "+15550000001")
        #expect(try mapper.customer(of: receipt(lines: [], total: 0, customer: p1, profile: "shopify"))
                == (try mapper.customer(of: receipt(lines: [], total: 0, customer: p2, profile: "shopify"))))
        // Another master key, another pseudonym.
        let other = ReceiptMapper(defaultStore: nil, identity: CustomerIdentity(pseudonymizer: Pseudonymizer(masterKey: .generate(), purpose: "pos-customer")))
        #expect(try other.customer(of: receipt(lines: [], total: 0, customer: byEmail, profile: "shopify")) != id)
        // Without a master key: a readable stop, not a guess.
        let keyless = ReceiptMapper(defaultStore: "s", identity: CustomerIdentity(pseudonymizer: nil))
        #expect(throws: ReceiptMappingError.needsMasterKey) { _ = try keyless.customer(of: receipt(lines: [], total: 0, customer: byEmail, profile: "shopify")) }
        let named = receipt(lines: [line(2)], total: 450, customer: ImportedCustomer(externalId: "C-1", name: "Ann"), profile: "square-items")
        #expect(throws: ReceiptMappingError.needsMasterKey) {
            _ = try keyless.events(for: named, in: ReceiptContext(receiptId: "R", store: "s", customer: "square:C-1", registering: true))
        }
        #expect(try keyless.events(for: named, in: ReceiptContext(receiptId: "R", store: "s", customer: "square:C-1", registering: false)).events.count == 1)
    }

    @Test("the store: the export's, else the default, else a stop asking for --store")
    func store() throws {
        var r = receipt(lines: [], total: 0)
        #expect(try mapper.store(of: r) == "store-1")
        r.store = "Shanghai 1"
        #expect(try mapper.store(of: r) == "Shanghai 1")
        let none = ReceiptMapper(defaultStore: nil, identity: CustomerIdentity(pseudonymizer: nil))
        #expect(throws: ReceiptMappingError.needsStore) { _ = try none.store(of: receipt(lines: [], total: 0)) }
        #expect(POSSystem(profile: "square-transactions").source(store: "S") == "pos:square:S")
        let long = POSSystem(profile: "mapping:a-very-long-point-of-sale-name").source(store: String(repeating: "店", count: 20))
        #expect(long.utf8.count <= 64 && long.hasPrefix("pos:mapping:a-very-long-point-of-sale-name:#"))
    }

    @Test("a refunded Shopify order: the sale and a return linked to it, both recorded")
    func shopifyRefund() throws {
        let folder = Fixtures.temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let name = "shopify_orders_export_2021_kidsliving_REDACTED.csv"
        var rows = try CSVText.records(Fixtures.sample(name))
        let status = try #require(rows[0].firstIndex(of: "Financial Status"))
        #expect(rows[1][0] == "#13519" && rows[1][status] == "paid")
        rows[1][status] = "refunded"
        let path = Fixtures.write(TestText.quotedCSV(rows), to: "refunded.csv", in: folder)
        let t = try TestLedger()
        let s = try t.ingest([path], IngestOptions(defaultStore: "store-1"))
        #expect(s.receipts == 49 && s.returns == 1 && s.receiptsRecorded == 49)
        let refund = try #require(try t.events.first { $0.type == "ReturnRecorded" })
        #expect(refund.payload["receipt"] == .string("#13519") && refund.payload["originalReceipt"] == .string("#13519"))
        #expect(refund.recorded.source?.externalId == "#13519/return")
        #expect(refund.minor("refund") == 78_400)
        #expect(refund.lines.first?["quantity"] == .number("1") && refund.lines.first?["sku"] == .string("FMATTBAMB120X60"))
        let sale = try #require(try t.events.first { $0.type == "PurchaseRecorded" })
        #expect(sale.recorded.customer == refund.recorded.customer && sale.minor("total") == 78_400)
    }
}

extension JSONValue {
    var arrayItems: [JSONValue] {
        if case .array(let a) = self { return a }
        return []
    }
}
