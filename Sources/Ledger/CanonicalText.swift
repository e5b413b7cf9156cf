/// Identifiers in one spelling: Unicode normalization form C.
///
/// The ledger files a customer's stream, a store's and an actor's events under the bytes of
/// their ids, while Swift's `String` calls two texts equal when they are canonically equivalent
/// ("é" as one code point, or as "e" and a combining acute; a CJK compatibility ideograph and
/// its unified one). Two ids in different spellings would be two streams to the ledger and one
/// key to any dictionary of `String`s, so a read model folded one way would differ from the
/// same model folded the other. The ledger therefore takes ids in NFC only, and the doors that
/// turn outside text into ids (imports, lookups, token names) normalize it first.
public enum CanonicalText {
    /// True when `s` is in NFC (every ASCII text is).
    public static func isNormalized(_ s: String) -> Bool {
        if s.utf8.allSatisfy({ $0 < 0x80 }) { return true }
        return s.utf8.elementsEqual(s._nfcCodeUnits)
    }

    /// `s` in NFC (itself when it already is).
    public static func normalized(_ s: String) -> String {
        isNormalized(s) ? s : String(decoding: s._nfcCodeUnits, as: UTF8.self)
    }
}
