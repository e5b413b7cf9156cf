import ArgumentParser
#if canImport(Glibc)
import Glibc
#endif

/// The `clientele` command: the customer ledger of a physical store, from the command line.
public struct Clientele: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "clientele",
        abstract: "The customer ledger of a physical store or chain: an append-only event log on LMDB.",
        discussion: reflow("""
            Every customer action is an immutable event in the ledger at --db (default ./data/clientele).
            Start with `clientele init`, feed events with `clientele append`, check them with
            `clientele verify`, and measure the machine with `clientele bench`.
            """),
        subcommands: [Init.self, Upgrade.self, Token.self, Append.self, Ingest.self, Events.self, Stats.self, Verify.self, Consent.self, Erase.self, KeyGen.self,
                      Customer.self, Segments.self, Churn.self, Complaints.self, Report.self, Satisfaction.self, Staff.self,
                      CareAgenda.self, Rebuild.self, Generate.self, Serve.self, Replay.self, Audit.self, Backup.self, Restore.self, Bench.self]
    )

    public init() {}
}

/// The ledger folder, shared by every command that reads or writes it.
struct DatabaseOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("The ledger's folder.", valueName: "path"))
    var db: String = "./data/clientele"
}

/// Where the master key comes from, for commands that seal or unseal personal data.
struct KeyOptions: ParsableArguments {
    @Option(name: .customLong("master-key-file"), help: ArgumentHelp(
        "The master key file (default: $CLIENTELE_MASTER_KEY_FILE, or $CLIENTELE_MASTER_KEY as base64).", valueName: "path"))
    var masterKeyFile: String?
}

/// The operating-system user, recorded as the actor of what the command line does.
enum OperatingSystemUser {
    static var name: String {
        if let pw = getpwuid(geteuid()), let n = pw.pointee.pw_name { return "os:" + String(cString: n) }
        return "os:uid-\(geteuid())"
    }
}
