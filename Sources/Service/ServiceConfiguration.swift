import Logging

/// How `clientele serve` runs: where the ledger is, where to listen, and the limits it enforces.
public struct ServiceConfiguration: Sendable {
    /// The ledger folder.
    public var databasePath: String
    /// The address to listen on (loopback by default: put a TLS proxy in front for anything else).
    public var host = "127.0.0.1"
    /// The TCP port; 0 picks a free one (tests).
    public var port = 8080
    /// The configuration file (tiers, segments, SLA, churn bands); nil for `<db>/config.json` or `.toml`, or the defaults.
    public var configurationFile: String?
    /// The master key file; nil for `$CLIENTELE_MASTER_KEY(_FILE)`.
    public var masterKeyFile: String?
    /// The largest request body accepted, in bytes (413 beyond).
    public var maxBodyBytes = 1 << 20
    /// The most events one `POST /v1/events` may carry.
    public var maxBatchEvents = 1_000
    /// How often the read models are caught up with the log in the background.
    public var catchUpInterval: Duration = .milliseconds(500)
    /// How long a computed segmentation or churn assessment is reused before it is computed again.
    public var rankingTTL: Duration = .seconds(30)
    /// The log level.
    public var logLevel: Logger.Level = .info

    /// A configuration serving the ledger at `databasePath` with the defaults above.
    public init(databasePath: String) {
        self.databasePath = databasePath
    }
}
