import CustomerEvents
import Ledger
import POSImport

/// Turns the customer an export names into the ledger's customer id (the stream their events go to).
///
/// - An export's own customer number (UCI Customer ID, Square Customer ID, a mapping's member card)
///   is not personal data: the id is `<system>:<number>`, e.g. `uci:17850`.
/// - A customer the export knows only by email, phone or name (Shopify, Loyverse) must not have that
///   in the log, where it would outlive an erasure: the id is `contact:` and a keyed pseudonym of the
///   normalized email (or phone, or name) under the master key, the same in every export and store.
public struct CustomerIdentity: Sendable {
    let pseudonymize: Pseudonymizer?

    /// Ids for customers; `pseudonymizer` is nil when no master key was given, and then customers
    /// known only by their contact details cannot be identified (`needsMasterKey`).
    public init(pseudonymizer: Pseudonymizer?) {
        self.pseudonymize = pseudonymizer
    }

    /// The ledger's id for `customer`, read from an export of `system`.
    /// - Throws: `.needsMasterKey` for a customer known only by contact details when there is no
    ///   master key; `.unrecordable` when the id would pass the ledger's 128-byte limit.
    public func ledgerId(for customer: ImportedCustomer, system: POSSystem) throws(ReceiptMappingError) -> String {
        let key = customer.externalId
        let contact: String?
        if key == customer.email {
            contact = "email:" + key.lowercased()
        } else if key == customer.phone {
            contact = "phone:" + Self.normalizedPhone(key)
        } else if key == customer.name {
            contact = "name:" + key
        } else {
            contact = nil
        }
        if let contact {
            guard let pseudonymize else { throw .needsMasterKey }
            return "contact:" + pseudonymize(CanonicalText.normalized(contact))
        }
        let id = CanonicalText.normalized("\(system.name):\(key)")
        guard id.utf8.count <= 128 else {
            throw .unrecordable(field: "customer", reason: "the customer id '\(key.prefix(40))…' is \(key.utf8.count) bytes long; the ledger takes ids of up to 128 bytes with their prefix")
        }
        return id
    }

    /// A phone number as digits, with its leading `+` kept: `+1 (555) 000-0001` → `+15550000001`.
    static func normalizedPhone(_ phone: String) -> String {
        var out = ""
        for (i, ch) in phone.enumerated() {
            if ch.isASCII, ch.isNumber { out.append(ch) } else if ch == "+" && i == 0 { out.append(ch) }
        }
        return out.isEmpty ? phone : out
    }
}
