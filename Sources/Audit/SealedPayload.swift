import LedgerJSON
import CustomerEvents

/// Personal fields put back into a stored payload at the byte level: the payload's text up to its
/// sealed box, then the opened fields as members — the same text `CustomerLedger.read` gives
/// after parsing the whole payload, without building the tree of the parts that were never sealed.
enum SealedPayload {
    /// The payload as shown to someone allowed to see personal data, or nil when this fast path
    /// does not apply (no key, a box that does not open, personal fields below the top level).
    static func unsealed(_ p: UnsafeRawBufferPointer, key: DataKey?, customer: String) -> [UInt8]? {
        guard let cut = PersonalDataSealer.storedBoxStart(p) else {
            // No box: the payload as stored (there is nothing personal in it).
            return p.isEmpty ? Array("{}".utf8) : Array(p)
        }
        guard let key else { return nil }
        // The box's value: from the brace after `"_sealed":` to before the payload's closing brace.
        var open = cut
        while open < p.count && p[open] != 0x3A { open += 1 } // the member's colon
        guard open + 1 < p.count - 1 else { return nil }
        let boxText = UnsafeRawBufferPointer(rebasing: p[(open + 1)..<(p.count - 1)])
        guard let box = try? JSONParser.parse(UnsafeBufferPointer(start: boxText.baseAddress?.assumingMemoryBound(to: UInt8.self), count: boxText.count)) else { return nil }
        let (opened, outcome) = PersonalDataSealer.unseal(.object([(PersonalDataSealer.member, box)]), key: key, erased: false, customer: customer)
        guard outcome == .unsealed, case .object(let members) = opened else { return nil }
        if case .array(let paths)? = box["paths"] {
            for path in paths {
                guard let text = path.stringValue, text.utf8.first == 0x2F, !text.utf8.dropFirst().contains(0x2F) else { return nil }
            }
        }
        var w = JSONWriter(capacity: p.count + 64)
        let head = cut // the text before the box: `{…` without the box's comma, or just `{`
        w.raw(UnsafeRawBufferPointer(rebasing: p[0..<head]))
        var first = head <= 1
        for (name, value) in members {
            if !first { w.bytes.append(0x2C) }
            first = false
            w.string(name)
            w.bytes.append(0x3A)
            w.write(value)
        }
        w.bytes.append(0x7D)
        return w.bytes
    }
}
