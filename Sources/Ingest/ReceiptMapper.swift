import Crypto
import Ledger
import LedgerJSON
import POSImport

/// Turns one receipt read from a POS export into the ledger events that record it, exactly as
/// the catalog defines them (schemas/events/):
///
/// - a sale → one `PurchaseRecorded` (v2) with its lines, total, payment and cashier;
/// - a refund, return or cancellation → one `ReturnRecorded` referring to the original receipt;
/// - the customer's first receipt also → `CustomerRegistered` before it, with the name, phone and
///   email the export gives (sealed later by `CustomerLedger`).
///
/// Every event has actor `pos-import`, channel `pos`, the receipt's time, and the source
/// `pos:<system>:<store>` with external id `<receipt>` (sale), `<receipt>/return` (return) or
/// `<customer>/registered`, so that reading the same receipt again adds nothing.
///
/// Decisions where the export and the catalog do not meet:
/// - A line without a SKU uses its item name as SKU (names over 64 characters: the first 55, `~`
///   and 8 hex digits of the name's SHA-256); a line without a category is `uncategorized`.
/// - Lines with quantity 0 and no money are left out (nothing changed hands).
/// - A receipt whose lines cannot all be written exactly — no item detail at all, a line without a
///   unit price that divides out exactly, a zero quantity carrying money — is recorded as one line:
///   SKU `UNITEMIZED`, quantity 1, the receipt's total, named after the items (`2 × Latte, 1 × Bagel`).
/// - A sale with a returned line (negative quantity), or a return with a sold line, is refused:
///   one purchase cannot say both (record the exchange by hand).
/// - A return the export does not link to its sale (UCI cancellations, Loyverse refunds, Shopify's
///   partial refunds are linked; Square's only within one file) names itself as `originalReceipt`:
///   readers recognise an unlinked return by `originalReceipt == receipt`.
/// - Quantities and refunds in `ReturnRecorded` are positive (what came back, what was paid back).
public struct ReceiptMapper: Sendable {
    /// The actor of every imported event.
    public static let actor = "pos-import"
    /// The channel of every imported event.
    public static let channel = "pos"
    /// The category of lines whose export has none.
    public static let uncategorized = "uncategorized"
    /// The SKU of the single line standing for a receipt without exact item detail.
    public static let unitemizedSKU = "UNITEMIZED"

    /// The store for receipts whose export does not name one (`--store`).
    public let defaultStore: String?
    /// How customers become ledger ids.
    public let identity: CustomerIdentity
    /// Whether personal fields can be sealed (a master key was given).
    public var canSeal: Bool { identity.pseudonymize != nil }

    /// A mapper using `defaultStore` for receipts without a store.
    public init(defaultStore: String?, identity: CustomerIdentity) {
        self.defaultStore = defaultStore
        self.identity = identity
    }

    /// The store a receipt is recorded under: the export's, else the default.
    /// - Throws: `.needsStore` when there is neither; `.unrecordable` for a name over 64 bytes.
    public func store(of receipt: ImportedReceipt) throws(ReceiptMappingError) -> String {
        guard let named = receipt.store ?? defaultStore else { throw .needsStore }
        let store = CanonicalText.normalized(named)
        guard store.utf8.count <= 64 else {
            throw .unrecordable(field: "store", reason: "the store name '\(store.prefix(30))…' is \(store.utf8.count) bytes long; at most 64 are allowed (give a shorter --store, or fix the export)")
        }
        return store
    }

    /// The ledger id of the receipt's customer, nil for an anonymous sale.
    public func customer(of receipt: ImportedReceipt) throws(ReceiptMappingError) -> String? {
        guard let c = receipt.customer else { return nil }
        return try identity.ledgerId(for: c, system: POSSystem(profile: receipt.profile))
    }

    /// The events recording `receipt` under the names in `context`, registration first (none for
    /// an anonymous receipt).
    /// - Throws: `.unrecordable` naming the field when the receipt cannot be recorded as it is;
    ///   `.needsMasterKey` when the registration carries personal data and `canSeal` is false.
    public func events(for receipt: ImportedReceipt, in context: ReceiptContext) throws(ReceiptMappingError) -> MappedReceipt {
        guard let customer = context.customer else { return MappedReceipt(events: [], unitemized: false) }
        let system = POSSystem(profile: receipt.profile)
        let source = system.source(store: context.store)
        try Self.limit(context.receiptId, 64, field: "receipt", what: "receipt id")
        var out: [PlannedEvent] = []
        var unitemized = false
        if context.registering, let who = receipt.customer {
            var members: [(String, JSONValue)] = []
            if let name = who.name { try Self.limit(name, 200, field: "customer name", what: "customer name"); members.append(("name", .string(name))) }
            if let phone = who.phone { try Self.limit(phone, 32, field: "customer phone", what: "phone number"); members.append(("phone", .string(phone))) }
            if let email = who.email { try Self.limit(email, 254, field: "customer email", what: "email address"); members.append(("email", .string(email))) }
            if !members.isEmpty && !canSeal { throw .needsMasterKey }
            out.append(PlannedEvent(role: .registration, event: NewEvent(
                type: "CustomerRegistered", schemaVersion: 1, customer: customer, store: context.store, actor: Self.actor,
                channel: Self.channel, occurredAt: receipt.occurredAt,
                source: SourceReference(source: source, externalId: customer + "/registered"),
                expectedVersion: .noStream, payload: []), payload: .object(members)))
        }
        if receipt.kind == .sale {
            var members: [(String, JSONValue)] = [
                ("receipt", .string(context.receiptId)),
                ("lines", .array(try purchaseLines(receipt, unitemized: &unitemized))),
                ("total", Self.money(receipt.total, receipt.currency)),
            ]
            if let payment = receipt.paymentType { try Self.limit(payment, 64, field: "payment", what: "payment type"); members.append(("payment", .string(payment))) }
            if let cashier = receipt.cashier { try Self.limit(cashier, 64, field: "cashier", what: "cashier"); members.append(("cashier", .string(cashier))) }
            out.append(PlannedEvent(role: .purchase, event: NewEvent(
                type: "PurchaseRecorded", schemaVersion: 2, customer: customer, store: context.store, actor: Self.actor,
                channel: Self.channel, occurredAt: receipt.occurredAt,
                source: SourceReference(source: source, externalId: context.receiptId), payload: []),
                payload: .object(members)))
        } else {
            let original = receipt.originalReceiptId ?? context.receiptId
            try Self.limit(original, 64, field: "original receipt", what: "original receipt id")
            let members: [(String, JSONValue)] = [
                ("receipt", .string(context.receiptId)),
                ("originalReceipt", .string(original)),
                ("lines", .array(try returnLines(receipt, unitemized: &unitemized))),
                ("refund", Self.money(-receipt.total, receipt.currency)),
            ]
            out.append(PlannedEvent(role: .return, event: NewEvent(
                type: "ReturnRecorded", schemaVersion: 1, customer: customer, store: context.store, actor: Self.actor,
                channel: Self.channel, occurredAt: receipt.occurredAt,
                source: SourceReference(source: source, externalId: context.receiptId + "/return"), payload: []),
                payload: .object(members)))
        }
        return MappedReceipt(events: out, unitemized: unitemized)
    }

    // MARK: lines

    /// The lines that change hands (quantity 0 with no money left out), refusing mixed signs.
    private func keptLines(_ receipt: ImportedReceipt) throws(ReceiptMappingError) -> [ImportedLine] {
        var kept: [ImportedLine] = []
        kept.reserveCapacity(receipt.lines.count)
        let sale = receipt.kind == .sale
        for line in receipt.lines {
            let q = line.quantity.value
            if q == 0 && (line.amount ?? 0) == 0 { continue }
            if sale ? q < 0 : q > 0 {
                throw .unrecordable(field: "quantity", reason: "line \(line.fileLine) has quantity \(line.quantity) on a \(sale ? "sale" : receipt.kind.rawValue): a receipt that both sells and takes back cannot be recorded as one \(sale ? "purchase" : "return"); record the exchange by hand")
            }
            kept.append(line)
        }
        return kept
    }

    private func purchaseLines(_ receipt: ImportedReceipt, unitemized flag: inout Bool) throws(ReceiptMappingError) -> [JSONValue] {
        let lines = try keptLines(receipt)
        var out: [JSONValue] = []
        out.reserveCapacity(lines.count)
        for line in lines {
            guard line.quantity.value > 0, let unit = Self.unitPrice(line) else {
                flag = true
                return [try unitemized(receipt, lines, refund: false)]
            }
            var members: [(String, JSONValue)] = [("sku", .string(try Self.sku(line)))]
            if !line.name.isEmpty {
                try Self.limit(line.name, 200, field: "name", what: "item name (line \(line.fileLine))")
                members.append(("name", .string(line.name)))
            }
            members.append(("quantity", .number(line.quantity.description)))
            members.append(("unitPrice", Self.money(unit, receipt.currency)))
            if line.discount != 0 { members.append(("discount", Self.money(line.discount, receipt.currency))) }
            members.append(("category", .string(try Self.category(line))))
            out.append(.object(members))
        }
        if out.isEmpty { flag = true; return [try unitemized(receipt, lines, refund: false)] }
        return out
    }

    private func returnLines(_ receipt: ImportedReceipt, unitemized flag: inout Bool) throws(ReceiptMappingError) -> [JSONValue] {
        let lines = try keptLines(receipt)
        var out: [JSONValue] = []
        out.reserveCapacity(lines.count)
        for line in lines {
            guard line.quantity.value < 0, let amount = line.amount else {
                flag = true
                return [try unitemized(receipt, lines, refund: true)]
            }
            out.append(.object([
                ("sku", .string(try Self.sku(line))),
                ("quantity", .number(ExactDecimal(value: -line.quantity.value, scale: line.quantity.scale).description)),
                ("refund", Self.money(-amount, receipt.currency)),
            ]))
        }
        if out.isEmpty { flag = true; return [try unitemized(receipt, lines, refund: true)] }
        return out
    }

    /// The one line standing for a receipt whose items cannot be written exactly.
    private func unitemized(_ receipt: ImportedReceipt, _ lines: [ImportedLine], refund: Bool) throws(ReceiptMappingError) -> JSONValue {
        if refund {
            return .object([("sku", .string(Self.unitemizedSKU)), ("quantity", .number("1")), ("refund", Self.money(-receipt.total, receipt.currency))])
        }
        var members: [(String, JSONValue)] = [("sku", .string(Self.unitemizedSKU))]
        let items = lines.map { l -> String in
            let q = ExactDecimal(value: Swift.abs(l.quantity.value), scale: l.quantity.scale).normalized
            return "\(q) × \(l.name.isEmpty ? (l.sku ?? "item") : l.name)"
        }.joined(separator: ", ")
        if !items.isEmpty { members.append(("name", .string(Self.clipped(items, 200)))) }
        members += [("quantity", .number("1")), ("unitPrice", Self.money(receipt.total, receipt.currency)),
                    ("category", .string(Self.uncategorized))]
        return .object(members)
    }

    // MARK: fields

    /// The unit price as the export gives it, or the line's gross divided by its quantity when exact.
    static func unitPrice(_ line: ImportedLine) -> Int64? {
        if let unit = line.unitPrice { return unit }
        guard let amount = line.amount else { return nil }
        let (gross, overflow) = amount.addingReportingOverflow(line.discount)
        return overflow ? nil : line.quantity.dividing(gross)
    }

    static func sku(_ line: ImportedLine) throws(ReceiptMappingError) -> String {
        if let sku = line.sku {
            try limit(sku, 64, field: "sku", what: "SKU (line \(line.fileLine))")
            return sku
        }
        guard !line.name.isEmpty else {
            throw .unrecordable(field: "sku", reason: "line \(line.fileLine) has neither a SKU nor an item name")
        }
        if line.name.unicodeScalars.count <= 64 { return line.name }
        let digest = SHA256.hash(data: Array(line.name.utf8))
        return String(String.UnicodeScalarView(line.name.unicodeScalars.prefix(55))) + "~" + Hex.string(digest.prefix(4))
    }

    static func category(_ line: ImportedLine) throws(ReceiptMappingError) -> String {
        guard let category = line.category else { return uncategorized }
        try limit(category, 64, field: "category", what: "category (line \(line.fileLine))")
        return category
    }

    static func money(_ minor: Int64, _ currency: String) -> JSONValue {
        .object([("minor", .number(String(minor))), ("currency", .string(currency))])
    }

    /// Refuses text longer than the schema allows (counted in Unicode scalars, as JSON Schema does).
    static func limit(_ text: String, _ max: Int, field: String, what: String) throws(ReceiptMappingError) {
        if text.utf8.count <= max { return }
        let n = text.unicodeScalars.count
        if n > max {
            throw .unrecordable(field: field, reason: "the \(what) '\(clipped(text, 40))' is \(n) characters long; the ledger takes at most \(max)")
        }
    }

    /// `text` cut to at most `max` Unicode scalars, ending in `…` when cut.
    static func clipped(_ text: String, _ max: Int) -> String {
        let scalars = text.unicodeScalars
        if scalars.count <= max { return text }
        return String(String.UnicodeScalarView(scalars.prefix(max - 1))) + "…"
    }
}
