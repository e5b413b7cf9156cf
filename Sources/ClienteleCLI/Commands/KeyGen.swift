import ArgumentParser
import CustomerEvents
#if canImport(Glibc)
import Glibc
#endif

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
            // The full path, so that the line still works from another folder.
            let full = realpath(out, nil).map { p in defer { free(p) }; return String(cString: p) } ?? out
            Output.line("Wrote a new master key to \(full). Use it with: export CLIENTELE_MASTER_KEY_FILE=\(Self.shellQuoted(full))")
        }

        /// `text` as one shell word: as it is when it has only safe characters, else in single quotes.
        static func shellQuoted(_ text: String) -> String {
            let safe = text.utf8.allSatisfy { b in
                (b >= 0x30 && b <= 0x39) || (b | 0x20 >= 0x61 && b | 0x20 <= 0x7A) || b == 0x2F || b == 0x2E || b == 0x5F || b == 0x2D
            }
            return safe ? text : "'" + text.split(separator: "'", omittingEmptySubsequences: false).joined(separator: #"'\''"#) + "'"
        }
    }
}
