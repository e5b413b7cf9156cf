import LedgerJSON

/// The typed payload of one event type at one schema version (generated from schemas/).
public protocol EventPayload: Sendable, Hashable {
    /// The event type, e.g. `ComplaintFiled`.
    static var eventType: String { get }
    /// The schema version this type reads and writes.
    static var schemaVersion: UInt16 { get }
    /// Reads a payload that has passed its schema.
    init(json: JSONValue, path: String) throws(EventPayloadError)
    /// The payload as JSON.
    var json: JSONValue { get }
}

/// Why a payload could not be read as its type: the JSON path and the reason.
public struct EventPayloadError: Error, CustomStringConvertible, Sendable, Equatable {
    public let path: String
    public let reason: String
    public init(path: String, reason: String) { self.path = path; self.reason = reason }
    public var description: String { "\(path): \(reason)" }
}

/// An amount of money: integer minor units of an ISO 4217 currency, never floating point.
public struct Money: Sendable, Hashable, CustomStringConvertible {
    /// The amount in minor units (fen, cents…).
    public var minor: Int64
    /// The ISO 4217 code, e.g. `CNY`.
    public var currency: String

    public init(minor: Int64, currency: String) {
        self.minor = minor
        self.currency = currency
    }

    public init(json: JSONValue, path: String = "$") throws(EventPayloadError) {
        minor = try json.required("minor", at: path + ".minor").int64(at: path + ".minor")
        currency = try json.required("currency", at: path + ".currency").string(at: path + ".currency")
    }

    public var json: JSONValue { .object([("minor", .number(String(minor))), ("currency", .string(currency))]) }

    /// `1,149.00 CNY`-style text for people (two decimals unless the currency has none or three).
    public var description: String {
        let digits = Money.minorDigits(currency)
        var scale: Int64 = 1
        for _ in 0..<digits { scale *= 10 }
        let whole = String(abs(minor) / scale)
        var grouped = ""
        for (i, c) in whole.enumerated() {
            if i > 0 && (whole.count - i) % 3 == 0 { grouped.append(",") }
            grouped.append(c)
        }
        var frac = ""
        if digits > 0 {
            frac = String(abs(minor) % scale)
            while frac.count < digits { frac = "0" + frac }
            frac = "." + frac
        }
        return (minor < 0 ? "-" : "") + grouped + frac + " " + currency
    }

    /// Digits after the decimal point in `currency` (ISO 4217): 0 for JPY, KRW…; 3 for BHD, KWD…; 2 otherwise.
    public static func minorDigits(_ currency: String) -> Int {
        switch currency {
        case "BIF", "CLP", "DJF", "GNF", "ISK", "JPY", "KMF", "KRW", "PYG", "RWF", "UGX", "UYI", "VND", "VUV", "XAF", "XOF", "XPF": return 0
        case "BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND": return 3
        default: return 2
        }
    }
}

/// An exact decimal number as JSON wrote it (`1`, `0.75`): no floating point on the way.
public struct ExactDecimal: Sendable, Hashable, CustomStringConvertible {
    /// The JSON number text.
    public let text: String

    /// A decimal from JSON number text; nil when it is not one.
    public init?(_ text: String) {
        guard (try? JSONParser.parse(text)).map({ if case .number = $0 { return true } else { return false } }) == true else { return nil }
        self.text = text
    }

    /// A whole number.
    public init(_ value: Int64) { text = String(value) }

    public var description: String { text }

    /// The value scaled by 10^`scale` and truncated toward zero, e.g. 1.5 at scale 3 → 1500.
    public func scaled(by scale: Int) -> Int64? {
        var mantissa = text
        var exponent = 0
        if let e = mantissa.firstIndex(where: { $0 == "e" || $0 == "E" }) {
            guard let x = Int(mantissa[mantissa.index(after: e)...].replacingOccurrences(of: "+", with: "")) else { return nil }
            exponent = x
            mantissa = String(mantissa[..<e])
        }
        let negative = mantissa.hasPrefix("-")
        if negative { mantissa.removeFirst() }
        var digits = mantissa
        if let dot = mantissa.firstIndex(of: ".") {
            exponent -= mantissa.distance(from: mantissa.index(after: dot), to: mantissa.endIndex)
            digits = mantissa.replacingOccurrences(of: ".", with: "")
        }
        var shift = exponent + scale
        while shift < 0, !digits.isEmpty { digits.removeLast(); shift += 1 }
        guard var v = Int64(digits.isEmpty ? "0" : digits) else { return nil }
        for _ in 0..<max(0, shift) {
            let (r, o) = v.multipliedReportingOverflow(by: 10)
            if o { return nil }
            v = r
        }
        return negative ? -v : v
    }
}

extension String {
    fileprivate func replacingOccurrences(of target: String, with replacement: String) -> String {
        split(separator: Character(target), omittingEmptySubsequences: false).joined(separator: replacement)
    }
}

extension JSONValue {
    /// The member `key`, or an error naming `path`.
    public func required(_ key: String, at path: String) throws(EventPayloadError) -> JSONValue {
        guard let v = self[key] else { throw EventPayloadError(path: path, reason: "is required") }
        return v
    }
    public func string(at path: String) throws(EventPayloadError) -> String {
        guard case .string(let s) = self else { throw EventPayloadError(path: path, reason: "expected a string, found \(kindName)") }
        return s
    }
    public func int64(at path: String) throws(EventPayloadError) -> Int64 {
        guard case .number(let n) = self, let v = Int64(n) else { throw EventPayloadError(path: path, reason: "expected a whole number, found \(kindName)") }
        return v
    }
    public func bool(at path: String) throws(EventPayloadError) -> Bool {
        guard case .bool(let b) = self else { throw EventPayloadError(path: path, reason: "expected true or false, found \(kindName)") }
        return b
    }
    public func decimal(at path: String) throws(EventPayloadError) -> ExactDecimal {
        guard case .number(let n) = self, let d = ExactDecimal(n) else { throw EventPayloadError(path: path, reason: "expected a number, found \(kindName)") }
        return d
    }
    public func arrayValue(at path: String) throws(EventPayloadError) -> [JSONValue] {
        guard case .array(let a) = self else { throw EventPayloadError(path: path, reason: "expected an array, found \(kindName)") }
        return a
    }
    public func enumeration<E: RawRepresentable>(_ type: E.Type, at path: String) throws(EventPayloadError) -> E where E.RawValue == String {
        let s = try string(at: path)
        guard let v = E(rawValue: s) else { throw EventPayloadError(path: path, reason: "'\(s)' is not one of the allowed values") }
        return v
    }
}

extension Array where Element == JSONValue {
    /// Reads each item with `read`, which gets the item and its path (`$.lines[2]`).
    public func mapItems<T>(at path: String, _ read: (JSONValue, String) throws(EventPayloadError) -> T) throws(EventPayloadError) -> [T] {
        var out: [T] = []
        out.reserveCapacity(count)
        for (i, item) in enumerated() { out.append(try read(item, "\(path)[\(i)]")) }
        return out
    }
}
