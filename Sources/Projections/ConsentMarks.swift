import CustomerEvents

/// The latest decision on each consent the read models act on — membership, marketing on every
/// channel and on each, and profiling — weighed as `ConsentState` weighs them: by business time
/// (when the customer said it), then by recorded order. A customer summary keeps them so that a
/// grant imported after a later withdrawal does not undo it, and derives `membership`,
/// `marketingChannels` and `refusesProfiling` from them.
public struct ConsentMarks: Sendable, Equatable {
    /// One decision: when (business time, µs), where in the log (the sequence number's low 32
    /// bits, which order two decisions of the same microsecond), and what (0 none, 1 granted,
    /// 2 withdrawn).
    public struct Mark: Sendable, Equatable {
        public var at: Int64 = 0
        public var sequence: UInt32 = 0
        public var state: UInt8 = 0

        public init() {}
        public init(at: Int64, sequence: UInt32, state: UInt8) {
            self.at = at
            self.sequence = sequence
            self.state = state
        }

        /// True when this decision came after `other` (none came before any).
        func isLater(than other: Mark) -> Bool {
            other.state == 0 || (at != other.at ? at > other.at : sequence > other.sequence)
        }
    }

    /// The slots: membership, marketing on every channel, each `ContactChannel` in order, then
    /// profiling.
    static let membership = 0, everyChannel = 1, firstChannel = 2
    static let channelsEnd = firstChannel + ContactChannel.allCases.count
    static let profiling = channelsEnd
    static let count = channelsEnd + 1

    private var membershipMark = Mark(), every = Mark(), sms = Mark(), email = Mark(), wechat = Mark(), phone = Mark(), profilingMark = Mark()

    public init() {}

    subscript(slot: Int) -> Mark {
        get {
            switch slot {
            case 0: return membershipMark
            case 1: return every
            case 2: return sms
            case 3: return email
            case 4: return wechat
            case 5: return phone
            default: return profilingMark
            }
        }
        set {
            switch slot {
            case 0: membershipMark = newValue
            case 1: every = newValue
            case 2: sms = newValue
            case 3: email = newValue
            case 4: wechat = newValue
            case 5: phone = newValue
            default: profilingMark = newValue
            }
        }
    }

    /// Records `mark` in `slot` if it is later than what is there. A withdrawal for every
    /// channel (`overriding`) also withdraws each channel decided before it, as `ConsentState`'s
    /// does.
    mutating func record(_ mark: Mark, at slot: Int, overriding: Bool) {
        if overriding && slot == ConsentMarks.everyChannel {
            for c in ConsentMarks.firstChannel..<ConsentMarks.channelsEnd where self[c].state != 0 && mark.isLater(than: self[c]) { self[c] = mark }
        }
        if mark.isLater(than: self[slot]) { self[slot] = mark }
    }

    /// The marketing channels allowed now: for each, the later of its own decision and the one for
    /// every channel. "*" when every channel is.
    var marketingChannels: SmallList<2, String> {
        var allowed: [String] = []
        for (i, c) in ContactChannel.allCases.enumerated() {
            let own = self[ConsentMarks.firstChannel + i]
            let deciding = own.isLater(than: every) ? own : every
            if deciding.state == 1 { allowed.append(c.rawValue) }
        }
        if allowed.count == ContactChannel.allCases.count { return ["*"] }
        var list = SmallList<2, String>()
        for c in allowed { list.append(c) }
        return list
    }
}
