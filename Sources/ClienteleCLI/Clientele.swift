import ArgumentParser

/// The `clientele` command: the customer ledger of a physical store, from the command line.
public struct Clientele: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "clientele",
        abstract: "The customer ledger of a physical store or chain: an append-only event log on LMDB.",
        discussion: """
            Every customer action is an immutable event in the ledger at --db (default ./data/clientele).
            Start with `clientele init`, feed events with `clientele append`, check them with
            `clientele verify`, and measure the machine with `clientele bench`.
            """,
        subcommands: [Init.self, Append.self, Stats.self, Verify.self, Bench.self]
    )

    public init() {}
}

/// The ledger folder, shared by every command that reads or writes it.
struct DatabaseOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("The ledger's folder.", valueName: "path"))
    var db: String = "./data/clientele"
}
