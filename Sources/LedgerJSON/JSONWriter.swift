/// Writes JSON text into a byte buffer, without Foundation: compact, keys in the order given.
public struct JSONWriter {
    /// The text written so far (UTF-8).
    public var bytes: [UInt8] = []

    public init(capacity: Int = 256) { bytes.reserveCapacity(capacity) }

    /// The text as a String.
    public var text: String { String(decoding: bytes, as: UTF8.self) }

    /// Appends `value`.
    public mutating func write(_ value: JSONValue) {
        switch value {
        case .null: raw("null")
        case .bool(let b): raw(b ? "true" : "false")
        case .number(let n): bytes.append(contentsOf: n.utf8)
        case .string(let s): string(s)
        case .array(let items):
            bytes.append(UInt8(ascii: "["))
            for (k, item) in items.enumerated() {
                if k > 0 { bytes.append(UInt8(ascii: ",")) }
                write(item)
            }
            bytes.append(UInt8(ascii: "]"))
        case .object(let members):
            bytes.append(UInt8(ascii: "{"))
            for (k, (key, item)) in members.enumerated() {
                if k > 0 { bytes.append(UInt8(ascii: ",")) }
                string(key)
                bytes.append(UInt8(ascii: ":"))
                write(item)
            }
            bytes.append(UInt8(ascii: "}"))
        }
    }

    /// Appends text as is (it must already be JSON).
    public mutating func raw(_ text: StaticString) {
        bytes.append(contentsOf: UnsafeBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount))
    }

    /// Appends bytes as is (they must already be JSON).
    public mutating func raw(_ b: some Sequence<UInt8>) { bytes.append(contentsOf: b) }

    /// Appends an unsigned integer.
    public mutating func number(_ v: UInt64) {
        if v == 0 { bytes.append(48); return }
        var digits: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8,
                     UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8) =
            (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        var n = 0
        var x = v
        withUnsafeMutableBytes(of: &digits) { d in
            while x > 0 { d[n] = UInt8(48 + x % 10); x /= 10; n += 1 }
            for k in stride(from: n - 1, through: 0, by: -1) { bytes.append(d[k]) }
        }
    }

    /// Appends a signed integer.
    public mutating func number(_ v: Int64) {
        if v < 0 { bytes.append(UInt8(ascii: "-")); number(UInt64(bitPattern: 0 &- v)) } else { number(UInt64(v)) }
    }

    /// Appends a quoted, escaped string.
    public mutating func string(_ s: String) {
        var s = s
        s.withUTF8 { string(utf8: UnsafeRawBufferPointer($0)) }
    }

    /// Appends a quoted, escaped string from UTF-8 bytes.
    public mutating func string(utf8 u: UnsafeRawBufferPointer) {
        bytes.append(UInt8(ascii: "\""))
        // Runs that need no escaping (nearly all text) are copied whole.
        var start = 0
        var i = 0
        while i < u.count {
            let c = u[i]
            if c >= 0x20 && c != UInt8(ascii: "\"") && c != UInt8(ascii: "\\") { i += 1; continue }
            if i > start { bytes.append(contentsOf: UnsafeRawBufferPointer(rebasing: u[start..<i])) }
            switch c {
            case UInt8(ascii: "\""): bytes.append(0x5C); bytes.append(c)
            case UInt8(ascii: "\\"): bytes.append(0x5C); bytes.append(c)
            case 0x0A: bytes.append(0x5C); bytes.append(UInt8(ascii: "n"))
            case 0x0D: bytes.append(0x5C); bytes.append(UInt8(ascii: "r"))
            case 0x09: bytes.append(0x5C); bytes.append(UInt8(ascii: "t"))
            default:
                let hex: StaticString = "0123456789abcdef"
                bytes.append(contentsOf: [0x5C, UInt8(ascii: "u"), UInt8(ascii: "0"), UInt8(ascii: "0"),
                                          hex.utf8Start[Int(c >> 4)], hex.utf8Start[Int(c & 15)]])
            }
            i += 1
            start = i
        }
        if i > start { bytes.append(contentsOf: UnsafeRawBufferPointer(rebasing: u[start..<i])) }
        bytes.append(UInt8(ascii: "\""))
    }
}
