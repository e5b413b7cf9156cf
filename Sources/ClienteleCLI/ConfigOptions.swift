import ArgumentParser
import Projections

/// The configuration file, for commands that judge (tiers, segments, SLA, churn bands).
struct ConfigOptions: ParsableArguments {
    @Option(name: .customLong("config"), help: ArgumentHelp("A configuration file, TOML or JSON (schemas/configuration.schema.json); default: $CLIENTELE_CONFIG, else the ledger's config.json or config.toml, else the defaults.", valueName: "file"))
    var path: String?

    /// The file that applies to the ledger at `db` (`ClienteleConfiguration.file`): --config, else
    /// $CLIENTELE_CONFIG, else the ledger's own; nil for the defaults.
    func file(db: String) -> String? {
        CommandIdentity.configurationFile(db: db, explicit: path)
    }

    /// The configuration that applies to the ledger at `db`.
    func load(db: String) throws -> ClienteleConfiguration {
        guard let path = file(db: db) else { return ClienteleConfiguration() }
        do { return try ClienteleConfiguration.load(path: path) } catch { throw CommandFailure(error.description) }
    }
}
