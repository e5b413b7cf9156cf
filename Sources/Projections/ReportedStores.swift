import Access
import Ledger

/// The shops a store's report can be asked of: the stores the ledger has recorded events at, less
/// the pseudo-stores of head-office readings and compliance's acts (`Principal.pseudoStores`).
public enum ReportedStores {
    /// The shops of `ledger`, sorted.
    public static func all(in ledger: Ledger) throws(LedgerError) -> [String] {
        try ledger.stores().filter { !Principal.pseudoStores.contains($0) }
    }

    /// Nil when `store` is a shop of `ledger`; otherwise why a report of it is refused, naming
    /// (some of) the shops. A store the ledger has never seen is more likely a typo (ST-4 for
    /// ST-04) than a quiet day. `ledgerName` says which ledger ("the ledger at ./data").
    public static func refusal(of store: String, in ledger: Ledger, named ledgerName: String) throws(LedgerError) -> String? {
        let pseudo = Principal.pseudoStores.contains(store)
        if !pseudo, try ledger.knows(store: store) { return nil }
        let stores = try all(in: ledger)
        let some = stores.prefix(12).joined(separator: ", ") + (stores.count > 12 ? ", … (\(stores.count) in all)" : "")
        let why = pseudo ? "'\(store)' is no shop: it marks events done for the whole chain or by compliance"
                         : "no store '\(store)' in \(ledgerName)"
        return stores.isEmpty ? "\(why); \(ledgerName) has recorded nothing at any store" : "\(why); its stores: \(some)"
    }
}
