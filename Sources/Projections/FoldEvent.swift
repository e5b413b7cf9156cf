import CMemoryHints
import CustomerEvents
import Ledger
import LedgerJSON
#if canImport(Glibc)
import Glibc
#endif

/// The event types the read models fold, told apart once per event from the stored type bytes
/// (every projector then switches on this instead of comparing strings).
public enum EventKind: UInt8, Sendable, CaseIterable {
    case other
    case customerRegistered, customerErased, consentGranted, consentWithdrawn
    case visitRecorded, purchaseRecorded, returnRecorded
    case pointsEarned, pointsRedeemed, pointsExpired, pointsAdjusted, tierChanged
    case complaintFiled, complaintAcknowledged, complaintVerified, complaintPlanProposed, complaintActionTaken
    case complaintEscalated, complaintAwaitingCustomer, complaintResumed, complaintResolved
    case complaintFeedbackReceived, complaintReopened, complaintClosed
    case callbackLogged
    case careContactMade
    case customerProfileUpdated
    case exchangeRecorded

    /// The catalog's name of the type.
    public var typeName: String {
        switch self {
        case .other: return ""
        default:
            let s = String(describing: self)
            return s.prefix(1).uppercased() + s.dropFirst()
        }
    }

    /// The kinds in an open-addressing table of 128 entries, by hash of their type name (`ByteHash`)
    /// (checked byte for byte after the lookup): a masked index and a compare, no `Dictionary`
    /// hashing, once per event and per folding thread.
    static let table: [(hash: UInt64, kind: EventKind, name: [UInt8])] = {
        var t = [(hash: UInt64, kind: EventKind, name: [UInt8])](repeating: (0, .other, []), count: 128)
        for k in EventKind.allCases where k != .other {
            let bytes = Array(k.typeName.utf8)
            let h = bytes.withUnsafeBytes { ByteHash.hash($0) }
            var i = Int(truncatingIfNeeded: h) & 127
            while t[i].kind != .other { i = (i + 1) & 127 }
            t[i] = (h, k, bytes)
        }
        return t
    }()

    /// The kind of a stored type name (`.other` for types no read model folds).
    @inline(__always)
    public init(typeBytes: UnsafeRawBufferPointer) {
        let h = ByteHash.hash(typeBytes)
        var found = EventKind.other
        EventKind.table.withUnsafeBufferPointer { t in
            var i = Int(truncatingIfNeeded: h) & 127
            while t[i].kind != .other {
                if t[i].hash == h {
                    if t[i].name.count == typeBytes.count,
                       t[i].name.withUnsafeBytes({ typeBytes.count == 0 || sameBytes($0.baseAddress!, typeBytes.baseAddress!, count: typeBytes.count) }) {
                        found = t[i].kind
                    }
                    return
                }
                i = (i + 1) & 127
            }
        }
        self = found
    }

    /// A set of kinds as one bit mask.
    public struct Set: Sendable, Equatable {
        public var bits: UInt64
        /// Every kind, `.other` included (a model of all events).
        public static let all = Set(EventKind.allCases)
        /// The set of `kinds`.
        public init(_ kinds: [EventKind]) { bits = kinds.reduce(0) { $0 | 1 << UInt64($1.rawValue) } }
        /// True when `k` is in the set.
        @inline(__always) public func contains(_ k: EventKind) -> Bool { bits & (1 << UInt64(k.rawValue)) != 0 }
        /// Both sets' kinds.
        public func union(_ o: Set) -> Set { var s = self; s.bits |= o.bits; return s }
    }
}

/// One event as a fold sees it: a zero-copy view of the stored envelope and payload, valid only
/// inside the scan that lends it. Payload fields are read straight from the stored bytes
/// (`JSONSpan`) — no `JSONValue`, no copies — and personal fields stay sealed (read models keep
/// none). An event stored in an old schema version is upcast first (the slow path, allocating),
/// so a fold always sees the current shape.
public struct FoldEvent {
    /// The stored event.
    public let record: EventRecord
    /// Its type, told apart once.
    public let kind: EventKind
    /// The payload, in the current schema version's shape.
    public let payload: JSONSpan
    /// What the one walk of the payload found when the event was read (`receipt`, `member(_:)`).
    let found: Found

    init(record: EventRecord, kind: EventKind, payload: JSONSpan) {
        self.record = record
        self.kind = kind
        self.payload = payload
        if kind == .purchaseRecorded || kind == .returnRecorded {
            found = Found(receipt: payload)
        } else if Members.walked.contains(kind) {
            found = Found(members: payload)
        } else {
            found = Found()
        }
    }

    /// Starts loading the stored event's first lines (its header, ids and the start of its
    /// payload), which every fold reads: a batch is folded long after the scan read it, on this
    /// thread or another, and its events are no longer in this core's caches.
    @inline(__always)
    func prefetch() {
        guard let start = record.bytes.baseAddress else { return }
        let n = min(record.bytes.count, 256)
        var line = 0
        while line < n {
            clientele_prefetch(start + line)
            line += 64
        }
    }

    /// A purchase's or return's fields, found in one pass over the payload (several models
    /// read them; the lines array is the bulk of the payload and is skipped once). Empty for
    /// other kinds.
    @inline(__always)
    public var receipt: ReceiptFields { ReceiptFields(found: found, base: payload.bytes.baseAddress) }

    /// The payload's member `name` (its first occurrence, as `payload["name"]` finds it), or nil.
    /// Found when the event was read for the kinds whose members the read models read
    /// (`Members.walked`), looked up now for the others.
    @inline(__always)
    public func member(_ name: Members.Name) -> JSONSpan? {
        guard found.shape == .members else { return payload[name.text] }
        return found.span(found.places[name.rawValue], base: payload.bytes.baseAddress)
    }

    /// What one walk of a payload found, on the scanning thread of a rebuild: once for every
    /// model, where each model searched the payload again on its own thread. A receipt's fields
    /// and the other kinds' members share the places (an event is one or the other), so that a
    /// batch of events stays small.
    struct Found {
        enum Shape: UInt8 { case none, receipt, members }
        var shape = Shape.none
        /// A receipt's distinct categories kept (`ReceiptFields`).
        var categoryCount: Int8 = 0
        /// A receipt's amount (`ReceiptFields`).
        var amount: Int64 = 0
        /// Each value's place in the payload as start << 32 | length; 0 when absent (no value
        /// starts at 0, where the payload's brace is). A receipt's are `ReceiptFields.Place`s,
        /// the other kinds' `Members.Name`s.
        var places = InlineArray<10, UInt64>(repeating: 0)

        /// Nothing walked.
        init() {}

        /// The place of a value `length` bytes long that starts at `v`, in the payload at `base`.
        @inline(__always)
        static func place(_ v: JSONSpan, _ length: Int, base: UnsafeRawPointer) -> UInt64 {
            UInt64(UInt32(truncatingIfNeeded: v.bytes.baseAddress! - base)) << 32 | UInt64(UInt32(truncatingIfNeeded: length))
        }

        /// The value at `at` in the payload at `base`.
        @inline(__always)
        func span(_ at: UInt64, base: UnsafeRawPointer?) -> JSONSpan? {
            guard at != 0, let base else { return nil }
            return JSONSpan(UnsafeRawBufferPointer(start: base + Int(at >> 32), count: Int(at & 0xFFFF_FFFF)))
        }

        /// Walks `payload` once for the first occurrence of every member kept (`Members.Name`).
        init(members payload: JSONSpan) {
            shape = .members
            guard let base = payload.bytes.baseAddress else { return }
            _ = payload.walkMembers { k, v in
                guard let n = v.leadingValueLength else { return nil }
                if let name = Members.Name(key: k), places[name.rawValue] == 0 { places[name.rawValue] = Found.place(v, n, base: base) }
                return n
            }
        }

        /// Walks a `PurchaseRecorded` or `ReturnRecorded` payload once for its fields (`ReceiptFields`).
        init(receipt p: JSONSpan) {
            shape = .receipt
            guard let base = p.bytes.baseAddress else { return }
            func place(_ v: JSONSpan, _ length: Int) -> UInt64 { Found.place(v, length, base: base) }
            _ = p.walkMembers { k, v in
                if k.count == 5, named(k, "lines") {
                    categoryCount = 0 // a repeated member: the last one counts, as for the others
                    let length = v.isArray ? v.walkElements { line in
                        line.isObject ? line.walkMembers { k2, v2 in
                            guard let n = v2.leadingValueLength else { return nil }
                            guard k2.count == 8, named(k2, "category") else { return n }
                            keepCategory(v2.prefix(n), at: place(v2, n), base: base)
                            // A line's first category is its category, and nothing after it is
                            // read: the rest of the line goes in one skip.
                            return v2.lengthToEnclosingEnd
                        } : line.leadingValueLength
                    } : v.leadingValueLength
                    if let length { places[ReceiptFields.Place.lines] = place(v, length) }
                    return length
                }
                guard let n = v.leadingValueLength else { return nil }
                switch k.count {
                case 5 where named(k, "total"), 6 where named(k, "refund"):
                    v.prefix(n).forEachMember { k2, v2 in
                        if k2.count == 5 && named(k2, "minor") {
                            amount = v2.int64 ?? 0
                        } else if k2.count == 8 && named(k2, "currency") {
                            places[ReceiptFields.Place.currency] = place(v2, v2.bytes.count)
                        }
                        return true
                    }
                case 7 where named(k, "receipt"): places[ReceiptFields.Place.receipt] = place(v, n)
                case 6 where named(k, "reason"): places[ReceiptFields.Place.reason] = place(v, n)
                case 15 where named(k, "originalReceipt"): places[ReceiptFields.Place.originalReceipt] = place(v, n)
                default: break
                }
                return n
            }
        }

        /// Keeps a line's category unless it is kept already (or too many are).
        private mutating func keepCategory(_ c: JSONSpan, at placed: UInt64, base: UnsafeRawPointer) {
            guard categoryCount >= 0 else { return }
            let kept = Int(categoryCount)
            for i in 0..<kept {
                let other = span(places[ReceiptFields.Place.categories + i], base: base)!
                if other.bytes.count == c.bytes.count, sameBytes(other.bytes.baseAddress!, c.bytes.baseAddress!, count: c.bytes.count) { return }
            }
            guard kept < ReceiptFields.Place.categoryRoom else { categoryCount = -1; return }
            places[ReceiptFields.Place.categories + kept] = placed
            categoryCount += 1
        }
    }

    /// The members of payloads other than receipts that the read models read, by name.
    public enum Members {
        /// A member kept.
        public enum Name: Int, CaseIterable {
            case points, receipt, purpose, channel, complaint, kind, satisfied, category, severity, csat

            /// The member's name in the payload.
            var text: StaticString {
                switch self {
                case .points: return "points"
                case .receipt: return "receipt"
                case .purpose: return "purpose"
                case .channel: return "channel"
                case .complaint: return "complaint"
                case .kind: return "kind"
                case .satisfied: return "satisfied"
                case .category: return "category"
                case .severity: return "severity"
                case .csat: return "csat"
                }
            }

            /// The name whose text is `k` (a member's key), if it is one of them.
            @inline(__always)
            init?(key k: UnsafeRawBufferPointer) {
                switch k.count {
                case 4 where named(k, "kind"): self = .kind
                case 4 where named(k, "csat"): self = .csat
                case 6 where named(k, "points"): self = .points
                case 7 where named(k, "receipt"): self = .receipt
                case 7 where named(k, "purpose"): self = .purpose
                case 7 where named(k, "channel"): self = .channel
                case 8 where named(k, "category"): self = .category
                case 8 where named(k, "severity"): self = .severity
                case 9 where named(k, "complaint"): self = .complaint
                case 9 where named(k, "satisfied"): self = .satisfied
                default: return nil
                }
            }
        }

        /// The kinds whose payloads are walked when read: those whose members a read model reads.
        static let walked = EventKind.Set([.pointsEarned, .pointsRedeemed, .pointsExpired, .pointsAdjusted, .consentGranted, .consentWithdrawn,
                                           .complaintFiled, .complaintAcknowledged, .complaintVerified, .complaintPlanProposed, .complaintActionTaken,
                                           .complaintEscalated, .complaintAwaitingCustomer, .complaintResumed, .complaintResolved,
                                           .complaintFeedbackReceived, .complaintReopened, .complaintClosed, .callbackLogged, .careContactMade])
    }

    /// The members of a `PurchaseRecorded` or `ReturnRecorded` payload the read models use,
    /// found in one walk over the payload on the scanning thread: where each value lies (offsets
    /// into the payload, so that a batch of events stays small), the amount, and the distinct
    /// categories of the lines (each line's first `category`). The lines array is the bulk of
    /// the payload; the folds no longer walk it themselves.
    public struct ReceiptFields {
        /// Where each field's place is kept in `Found.places`.
        enum Place {
            static let receipt = 0, originalReceipt = 1, currency = 2, reason = 3, lines = 4
            /// The distinct categories kept, from `categories` on (`categoryRoom` of them at most).
            static let categories = 5, categoryRoom = 4
        }

        let found: Found
        /// The payload's first byte (the places count from it).
        let base: UnsafeRawPointer?

        init(found: Found, base: UnsafeRawPointer?) {
            self.found = found.shape == .receipt ? found : Found()
            self.base = base
        }

        /// `total.minor` of a purchase, `refund.minor` of a return (0 when absent).
        @inline(__always) public var amount: Int64 { found.amount }
        /// `receipt`.
        @inline(__always) public var receipt: JSONSpan? { found.span(found.places[Place.receipt], base: base) }
        /// `originalReceipt` (returns).
        @inline(__always) public var originalReceipt: JSONSpan? { found.span(found.places[Place.originalReceipt], base: base) }
        /// The currency of the amount.
        @inline(__always) public var currency: JSONSpan? { found.span(found.places[Place.currency], base: base) }
        /// `reason` (returns).
        @inline(__always) public var reason: JSONSpan? { found.span(found.places[Place.reason], base: base) }

        /// Visits the value of each line's first `category` member in the order they first appear,
        /// each distinct stored value once (two spellings of one text, one with escapes, are two
        /// values) — or, for a receipt of more than four distinct categories, every line's.
        @inline(__always)
        public func forEachCategory(_ body: (JSONSpan) -> Void) {
            if found.categoryCount >= 0 {
                for i in 0..<Int(found.categoryCount) { body(found.span(found.places[Place.categories + i], base: base)!) }
                return
            }
            FoldEvent.forEachCategory(inLines: found.span(found.places[Place.lines], base: base), body)
        }
    }

    /// An exchange's difference (`difference.minor` of `ExchangeRecorded`: paid when positive,
    /// refunded when negative), 0 for other kinds. Exchanges are rare: read from the payload when asked.
    public var exchangeDifference: Int64 {
        guard kind == .exchangeRecorded else { return 0 }
        return payload["difference"]?["minor"]?.int64 ?? 0
    }

    /// An exchange's issued lines (`issued`), nil for other kinds.
    public var exchangeIssued: JSONSpan? { kind == .exchangeRecorded ? payload["issued"] : nil }

    /// Visits the `category` of each line in `lines` (an array of receipt lines).
    public static func forEachCategory(inLines lines: JSONSpan?, _ body: (JSONSpan) -> Void) {
        lines?.forEachElement { line in
            if let c = line["category"] { body(c) }
            return true
        }
    }

    /// Business time.
    @inline(__always) public var occurredAt: Timestamp { record.occurredAt }
    /// The event's sequence number in the log.
    @inline(__always) public var sequence: UInt64 { record.sequence }
    /// The customer id (a small string for the usual ids: no allocation up to 15 bytes).
    @inline(__always) public var customer: String { String(decoding: record.customerBytes, as: UTF8.self) }
    /// The store (a new String; compare `record.storeBytes` to avoid it).
    @inline(__always) public var store: String { String(decoding: record.storeBytes, as: UTF8.self) }
    /// The staff member or system that acted.
    @inline(__always) public var actor: String { String(decoding: record.actorBytes, as: UTF8.self) }
    /// True for events the system stamped (access records, erasures), whose zone says nothing of the store's.
    @inline(__always) public var isSystemChannel: Bool {
        let c = record.channelBytes
        return c.count == 6 && named(c, "system")
    }
}

/// True when the bytes `k` (a JSON member name) are `name`'s: a word compare, not
/// `elementsEqual` over a `String.UTF8View` (a generic loop, per member of every receipt).
@inline(__always)
func named(_ k: UnsafeRawBufferPointer, _ name: StaticString) -> Bool {
    k.count == name.utf8CodeUnitCount && (k.count == 0 || sameBytes(k.baseAddress!, UnsafeRawPointer(name.utf8Start), count: k.count))
}

/// Turns stored events into `FoldEvent`s: the kind, and the payload upcast when it was written in
/// an older schema version than the catalog's current one.
struct FoldEventReader {
    let current: [UInt16]
    var scratch: [UInt8] = []

    init(catalog: SchemaCatalog) {
        var current = [UInt16](repeating: 0, count: EventKind.allCases.count)
        for k in EventKind.allCases where k != .other { current[Int(k.rawValue)] = catalog.currentVersions[k.typeName] ?? 0 }
        self.current = current
    }

    /// Calls `body` with the event when its kind is in `kinds`.
    @inline(__always)
    mutating func visit(_ record: EventRecord, kinds: EventKind.Set, _ body: (borrowing FoldEvent) throws -> Void) rethrows {
        let kind = EventKind(typeBytes: record.typeBytes)
        guard kinds.contains(kind) else { return }
        let stored = record.schemaVersion, target = current[Int(kind.rawValue)]
        if stored >= target {
            try body(FoldEvent(record: record, kind: kind, payload: JSONSpan(record.payloadBytes)))
            return
        }
        // An old version: upcast through JSON values, as readers see it.
        let parsed = (try? JSONParser.parse(record.payloadBytes.bindMemory(to: UInt8.self))) ?? .object([])
        var w = JSONWriter()
        w.write(Upcasters.upcast(parsed, type: kind.typeName, from: stored, to: target))
        scratch = w.bytes
        try scratch.withUnsafeBytes { p in
            try body(FoldEvent(record: record, kind: kind, payload: JSONSpan(p)))
        }
    }
}
