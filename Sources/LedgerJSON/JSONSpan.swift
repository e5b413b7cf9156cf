/// A zero-copy view of one JSON value inside bytes someone else owns (a payload in LMDB's map),
/// for folds that read a few fields of many events without building `JSONValue`s.
///
/// Nothing is parsed until asked for and nothing is allocated, except `string` when the text
/// has escapes. The bytes are trusted to be JSON (they were checked when appended): a malformed
/// value reads as absent, never as a crash. Valid only while the bytes are (inside the read
/// transaction that lent them).
public struct JSONSpan {
    /// The value's own bytes, without surrounding white space.
    public let bytes: UnsafeRawBufferPointer

    /// Wraps one complete JSON value (white space around it allowed).
    @inlinable
    public init(_ bytes: UnsafeRawBufferPointer) {
        var start = 0, end = bytes.count
        while start < end, JSONSpan.isSpace(bytes[start]) { start += 1 }
        while end > start, JSONSpan.isSpace(bytes[end - 1]) { end -= 1 }
        self.bytes = UnsafeRawBufferPointer(rebasing: bytes[start..<end])
    }

    @usableFromInline
    init(exactly bytes: UnsafeRawBufferPointer) { self.bytes = bytes }

    @inlinable @inline(__always)
    static func isSpace(_ c: UInt8) -> Bool { c == 0x20 || c == 0x0A || c == 0x0D || c == 0x09 }

    @inlinable @inline(__always)
    var first: UInt8 { bytes.isEmpty ? 0 : bytes[0] }

    /// True for an object.
    @inlinable public var isObject: Bool { first == UInt8(ascii: "{") }
    /// True for an array.
    @inlinable public var isArray: Bool { first == UInt8(ascii: "[") }
    /// True for `null`.
    @inlinable public var isNull: Bool { first == UInt8(ascii: "n") }
    /// The value when it is `true` or `false`.
    @inlinable public var bool: Bool? {
        switch first {
        case UInt8(ascii: "t"): return true
        case UInt8(ascii: "f"): return false
        default: return nil
        }
    }

    /// The value when it is an integer that fits Int64 (as `JSONValue.int64Value` reads it:
    /// a fraction or exponent is not an integer).
    @inlinable public var int64: Int64? {
        let n = bytes.count
        guard n > 0 else { return nil }
        var i = 0
        var negative = false
        if bytes[0] == UInt8(ascii: "-") { negative = true; i = 1 }
        guard i < n else { return nil }
        var value: Int64 = 0
        while i < n {
            let d = bytes[i] &- UInt8(ascii: "0")
            guard d < 10 else { return nil }
            let (m, o1) = value.multipliedReportingOverflow(by: 10)
            let (s, o2) = negative ? m.subtractingReportingOverflow(Int64(d)) : m.addingReportingOverflow(Int64(d))
            if o1 || o2 { return nil }
            value = s
            i += 1
        }
        return value
    }

    /// True for a string.
    @inlinable public var isString: Bool { first == UInt8(ascii: "\"") && bytes.count >= 2 }

    /// A string's UTF-8 between its quotes, when it has no escapes (nil otherwise: use `string`).
    @inlinable public var rawString: UnsafeRawBufferPointer? {
        guard isString else { return nil }
        let inner = UnsafeRawBufferPointer(rebasing: bytes[1..<(bytes.count - 1)])
        if JSONSpan.hasBackslash(inner) { return nil }
        return inner
    }

    /// True when `b` holds a backslash (an escape), eight bytes at a time.
    @inlinable @inline(__always)
    static func hasBackslash(_ b: UnsafeRawBufferPointer) -> Bool {
        var i = 0
        let n = b.count
        while i + 8 <= n {
            if zeroBytes(word(b, i) ^ 0x5C5C_5C5C_5C5C_5C5C) != 0 { return true }
            i += 8
        }
        while i < n {
            if b[i] == UInt8(ascii: "\\") { return true }
            i += 1
        }
        return false
    }

    /// The value when it is a string (allocates a `String`).
    public var string: String? {
        if let raw = rawString { return String(decoding: raw, as: UTF8.self) }
        guard isString, let v = try? JSONParser.parse(bytes.bindMemory(to: UInt8.self)) else { return nil }
        return v.stringValue
    }

    /// True when the value is a string equal to `text` (no allocation when it has no escapes).
    @inlinable public func equals(_ text: String) -> Bool {
        guard let raw = rawString else { return string == text }
        // Native strings lend their bytes without a copy (no retain, unlike `var t = text`).
        if let r = text.utf8.withContiguousStorageIfAvailable({ u in
            u.count == raw.count && (u.count == 0 || memcmpBytes(u.baseAddress!, raw.baseAddress!, u.count))
        }) { return r }
        return text.utf8.elementsEqual(raw)
    }

    /// The member `name` of an object (the first, if repeated), or nil.
    @inlinable
    public subscript(name: StaticString) -> JSONSpan? {
        var found: JSONSpan?
        let key = UnsafeRawBufferPointer(start: name.utf8Start, count: name.utf8CodeUnitCount)
        forEachMember { k, v in
            if k.count == key.count && (k.count == 0 || memcmpBytes(k.baseAddress!, key.baseAddress!, k.count)) { found = v; return false }
            return true
        }
        return found
    }

    /// Visits an object's members in order: the key's raw bytes (between its quotes) and the
    /// value; `body` returns false to stop. Does nothing for other values.
    @inlinable
    public func forEachMember(_ body: (UnsafeRawBufferPointer, JSONSpan) -> Bool) {
        guard first == UInt8(ascii: "{") else { return }
        let n = bytes.count
        var i = 1
        while true {
            i = JSONSpan.skipSpace(bytes, i)
            guard i < n, bytes[i] == UInt8(ascii: "\"") else { return }
            guard let keyEnd = JSONSpan.skipString(bytes, i) else { return }
            let key = UnsafeRawBufferPointer(rebasing: bytes[(i + 1)..<(keyEnd - 1)])
            i = JSONSpan.skipSpace(bytes, keyEnd)
            guard i < n, bytes[i] == UInt8(ascii: ":") else { return }
            i = JSONSpan.skipSpace(bytes, i + 1)
            guard let valueEnd = JSONSpan.skipValue(bytes, i) else { return }
            if !body(key, JSONSpan(exactly: UnsafeRawBufferPointer(rebasing: bytes[i..<valueEnd]))) { return }
            i = JSONSpan.skipSpace(bytes, valueEnd)
            guard i < n, bytes[i] == UInt8(ascii: ",") else { return }
            i += 1
        }
    }

    /// Visits an array's elements in order; `body` returns false to stop. Does nothing for other values.
    @inlinable
    public func forEachElement(_ body: (JSONSpan) -> Bool) {
        guard first == UInt8(ascii: "[") else { return }
        let n = bytes.count
        var i = JSONSpan.skipSpace(bytes, 1)
        if i < n, bytes[i] == UInt8(ascii: "]") { return }
        while i < n {
            guard let end = JSONSpan.skipValue(bytes, i) else { return }
            if !body(JSONSpan(exactly: UnsafeRawBufferPointer(rebasing: bytes[i..<end]))) { return }
            i = JSONSpan.skipSpace(bytes, end)
            guard i < n, bytes[i] == UInt8(ascii: ",") else { return }
            i = JSONSpan.skipSpace(bytes, i + 1)
        }
    }

    /// The length of the value at the start of `bytes`, which may run on past it (nil when
    /// malformed). With `prefix(_:)`, it turns a walk's span (`walkMembers`) into the value's own.
    @inlinable public var leadingValueLength: Int? { JSONSpan.skipValue(bytes, 0) }

    /// The span of the first `count` bytes.
    @inlinable public func prefix(_ count: Int) -> JSONSpan {
        JSONSpan(exactly: UnsafeRawBufferPointer(rebasing: bytes[0..<min(count, bytes.count)]))
    }

    /// Walks the object at the start of `bytes` (which may run on past it) member by member in one
    /// pass: no value is skipped before `body` sees it. `body` gets the key's raw bytes and a span
    /// from the value's start to the end of `bytes`, and returns the value's length (what it read,
    /// or `leadingValueLength`), or nil to stop. For a reader that reads the values it wants as it
    /// measures them, where `forEachMember` would skip each value first and the reader then read
    /// it again.
    /// - Returns: the object's length; nil when it is not an object, is malformed, or `body` stopped.
    @inlinable
    public func walkMembers(_ body: (UnsafeRawBufferPointer, JSONSpan) -> Int?) -> Int? {
        guard first == UInt8(ascii: "{") else { return nil }
        let n = bytes.count
        var i = JSONSpan.skipSpace(bytes, 1)
        if i < n, bytes[i] == UInt8(ascii: "}") { return i + 1 }
        while true {
            guard i < n, bytes[i] == UInt8(ascii: "\""), let keyEnd = JSONSpan.skipString(bytes, i) else { return nil }
            let key = UnsafeRawBufferPointer(rebasing: bytes[(i + 1)..<(keyEnd - 1)])
            i = JSONSpan.skipSpace(bytes, keyEnd)
            guard i < n, bytes[i] == UInt8(ascii: ":") else { return nil }
            i = JSONSpan.skipSpace(bytes, i + 1)
            guard i < n, let length = body(key, JSONSpan(exactly: UnsafeRawBufferPointer(rebasing: bytes[i..<n]))),
                  length > 0, length <= n - i else { return nil }
            i = JSONSpan.skipSpace(bytes, i + length)
            guard i < n else { return nil }
            if bytes[i] == UInt8(ascii: "}") { return i + 1 }
            guard bytes[i] == UInt8(ascii: ",") else { return nil }
            i = JSONSpan.skipSpace(bytes, i + 1)
        }
    }

    /// Walks the array at the start of `bytes` (which may run on past it) element by element in
    /// one pass, as `walkMembers` walks an object: `body` gets a span from the element's start to
    /// the end of `bytes` and returns the element's length, or nil to stop.
    /// - Returns: the array's length; nil when it is not an array, is malformed, or `body` stopped.
    @inlinable
    public func walkElements(_ body: (JSONSpan) -> Int?) -> Int? {
        guard first == UInt8(ascii: "[") else { return nil }
        let n = bytes.count
        var i = JSONSpan.skipSpace(bytes, 1)
        if i < n, bytes[i] == UInt8(ascii: "]") { return i + 1 }
        while true {
            guard i < n, let length = body(JSONSpan(exactly: UnsafeRawBufferPointer(rebasing: bytes[i..<n]))),
                  length > 0, length <= n - i else { return nil }
            i = JSONSpan.skipSpace(bytes, i + length)
            guard i < n else { return nil }
            if bytes[i] == UInt8(ascii: "]") { return i + 1 }
            guard bytes[i] == UInt8(ascii: ",") else { return nil }
            i = JSONSpan.skipSpace(bytes, i + 1)
        }
    }

    @inlinable @inline(__always)
    static func skipSpace(_ b: UnsafeRawBufferPointer, _ from: Int) -> Int {
        var i = from
        while i < b.count, isSpace(b[i]) { i += 1 }
        return i
    }

    /// Bytes of `v` that are zero, as their top bit (the lowest such bit is exact; bits above a
    /// zero byte may be set by its borrow, so only the first one found is trusted).
    @inlinable @inline(__always)
    static func zeroBytes(_ v: UInt64) -> UInt64 { (v &- 0x0101_0101_0101_0101) & ~v & 0x8080_8080_8080_8080 }

    /// Eight bytes from `i` (which must leave 8 bytes), the byte at `i` lowest.
    @inlinable @inline(__always)
    static func word(_ b: UnsafeRawBufferPointer, _ i: Int) -> UInt64 {
        UInt64(littleEndian: b.baseAddress!.loadUnaligned(fromByteOffset: i, as: UInt64.self))
    }

    /// The index just past the string starting (with its quote) at `from`.
    /// Eight bytes at a time while none is a quote or a backslash, then byte by byte.
    @inlinable @inline(__always)
    static func skipString(_ b: UnsafeRawBufferPointer, _ from: Int) -> Int? {
        var i = from + 1
        let n = b.count
        while i + 8 <= n {
            let w = word(b, i)
            let m = zeroBytes(w ^ 0x2222_2222_2222_2222) | zeroBytes(w ^ 0x5C5C_5C5C_5C5C_5C5C)
            if m == 0 { i += 8; continue }
            i += m.trailingZeroBitCount &>> 3
            if b[i] == UInt8(ascii: "\"") { return i + 1 }
            i += 2 // a backslash and the byte it escapes
        }
        while i < n {
            let c = b[i]
            if c == UInt8(ascii: "\"") { return i + 1 }
            i += c == UInt8(ascii: "\\") ? 2 : 1
        }
        return nil
    }

    /// The index of the bracket that closes the object or array whose contents go on at `from`
    /// (`from` is past its opening bracket: at a member, a value or a comma). Eight bytes at a
    /// time while none is a quote or a bracket (`[` and `{` are the bytes whose value | 0x20 is
    /// 0x7B, `]` and `}` those whose value | 0x20 is 0x7D).
    @inlinable
    static func closingBracket(_ b: UnsafeRawBufferPointer, _ from: Int) -> Int? {
        let n = b.count
        var depth = 1
        var i = from
        while i < n {
            if i + 8 <= n {
                let w = word(b, i), x = w | 0x2020_2020_2020_2020
                let m = zeroBytes(w ^ 0x2222_2222_2222_2222) | zeroBytes(x ^ 0x7B7B_7B7B_7B7B_7B7B) | zeroBytes(x ^ 0x7D7D_7D7D_7D7D_7D7D)
                if m == 0 { i += 8; continue }
                i += m.trailingZeroBitCount &>> 3
            }
            let c = b[i]
            if c == UInt8(ascii: "\"") {
                guard let e = skipString(b, i) else { return nil }
                i = e
                continue
            }
            if c == UInt8(ascii: "{") || c == UInt8(ascii: "[") { depth += 1 } else if c == UInt8(ascii: "}") || c == UInt8(ascii: "]") {
                depth -= 1
                if depth == 0 { return i }
            }
            i += 1
        }
        return nil
    }

    /// For a value that is a member of an object (the span starting at the value and running on
    /// past the object's end): the length from the value to the object's closing brace, that
    /// brace not included. What a reader that found what it wanted in an object returns to
    /// `walkMembers` to pass over the rest of the object in one skip.
    @inlinable public var lengthToEnclosingEnd: Int? { JSONSpan.closingBracket(bytes, 0) }

    /// The index just past the value starting at `from`.
    @inlinable
    static func skipValue(_ b: UnsafeRawBufferPointer, _ from: Int) -> Int? {
        let n = b.count
        guard from < n else { return nil }
        switch b[from] {
        case UInt8(ascii: "\""):
            return skipString(b, from)
        case UInt8(ascii: "{"), UInt8(ascii: "["):
            return closingBracket(b, from + 1).map { $0 + 1 }
        default:
            var i = from
            while i < n {
                let c = b[i]
                if c == UInt8(ascii: ",") || c == UInt8(ascii: "}") || c == UInt8(ascii: "]") || isSpace(c) { break }
                i += 1
            }
            return i
        }
    }
}

/// memcmp without importing Glibc into every caller.
@inlinable @inline(__always)
func memcmpBytes(_ a: UnsafeRawPointer, _ b: UnsafeRawPointer, _ count: Int) -> Bool {
    var i = 0
    // Eight bytes at a time, then the rest.
    while i + 8 <= count {
        if a.loadUnaligned(fromByteOffset: i, as: UInt64.self) != b.loadUnaligned(fromByteOffset: i, as: UInt64.self) { return false }
        i += 8
    }
    while i < count {
        if a.load(fromByteOffset: i, as: UInt8.self) != b.load(fromByteOffset: i, as: UInt8.self) { return false }
        i += 1
    }
    return true
}
