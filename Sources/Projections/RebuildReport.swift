/// What a rebuild did: the sequence number it folded through, and how long each phase took.
/// `clientele rebuild` shows the phases, and `clientele bench rebuild` records them, so that a
/// change to one phase can be measured apart from the others (the fold is most of a rebuild, and
/// the noisiest part).
public struct RebuildReport: Sendable, Equatable {
    /// The last event folded (the log's head when the rebuild began).
    public var head: UInt64
    /// Records folded again in business-time order, by model: customers with events recorded out
    /// of the order they occurred in (`KeyedProjector.foldsInBusinessOrder`). Models with none are
    /// not listed.
    public var refolded: [String: Int] = [:]
    /// The models that had so many that they were folded again whole, in one pass over the time
    /// index, rather than each record from its customer's stream.
    public var refoldedInOnePass: Set<String> = []
    /// How long each phase took.
    public var phases: RebuildPhases
}

/// How long each phase of a rebuild took, in seconds.
public struct RebuildPhases: Sendable, Equatable {
    /// Interning the customers already known, then scanning the log and folding every event, until
    /// the last folding thread was done.
    public var fold: Double
    /// Putting each model's records in key order, from then until the last thread was done.
    public var sort: Double
    /// Encoding the records and writing them into the models' idle slots.
    public var write: Double
    /// Flushing the models to the disk.
    public var sync: Double

    /// The whole rebuild, from the start of the scan.
    public var total: Double { fold + sort + write + sync }
}

extension Duration {
    /// The duration in seconds.
    var seconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}
