import ArgumentParser
import CustomerEvents

extension Clientele {
    /// `clientele keygen`: makes a master key file.
    struct KeyGen: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "keygen",
            abstract: "Make a new master key file (base64 text, readable by its owner only).",
            discussion: reflow("""
                The master key wraps every customer's data key; keep it out of the ledger's folder
                and out of its backups, and point CLIENTELE_MASTER_KEY_FILE at it. Losing it makes
                every customer's personal data unreadable. An existing file is never overwritten.
                """))

        @Option(help: ArgumentHelp("Where to write the key.", valueName: "path"))
        var out: String

        func run() async throws {
            try MasterKey.generate().write(to: out)
            Output.line("Wrote a new master key to \(out). Use it with: export CLIENTELE_MASTER_KEY_FILE=\(out)")
        }
    }
}
