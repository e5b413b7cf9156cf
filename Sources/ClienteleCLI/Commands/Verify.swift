import Access
import ArgumentParser
import Ledger
import LedgerJSON

extension Clientele {
    /// `clientele verify`: proves the log was not altered.
    struct Verify: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Check every event's hash-chain link and every index entry.",
            discussion: reflow("""
                Exits 0 when the ledger is sound. Otherwise exits 1 and names the first bad
                sequence number. The head hash it prints commits to the whole log: keep a copy
                elsewhere, and a later verify that shows the same hash at that sequence number
                proves nothing before it changed.
                """))

        @OptionGroup var options: DatabaseOptions

        @Flag(help: "Print one JSON object.")
        var json = false

        func run() async throws {
            _ = try options.authorize(.verifyLedger)
            let ledger = try Ledger(path: options.db)
            defer { ledger.close() }
            let started = Clock.seconds()
            let report = try ledger.verify()
            let seconds = Clock.seconds() - started
            if json {
                var w = JSONWriter()
                w.raw("{\"sound\":"); w.raw(report.isSound ? "true" : "false")
                w.raw(",\"events\":"); w.number(report.events)
                w.raw(",\"indexEntries\":"); w.number(Int64(report.indexEntries))
                w.raw(",\"headHash\":"); w.string(report.headHash.description)
                w.raw(",\"firstBadSequence\":"); if let b = report.firstBadSequence { w.number(b) } else { w.raw("null") }
                w.raw(",\"problems\":"); w.write(.array(report.problems.map { .string($0) }))
                w.raw(",\"seconds\":"); w.raw(Format.fixed(seconds, 3).utf8)
                w.raw("}\n")
                Output.write(w.bytes)
            } else if report.isSound {
                Output.line("sound: \(Format.grouped(Int(report.events))) events and \(Format.grouped(report.indexEntries)) index entries checked in \(Format.fixed(seconds, 2)) s")
                Output.line("head: event \(report.events), hash \(report.headHash)")
            } else {
                Output.line("NOT SOUND: the first bad event is \(report.firstBadSequence.map(String.init) ?? "unknown")")
                for p in report.problems { Output.line("  - \(p)") }
            }
            if !report.isSound { throw ExitCode(1) }
        }
    }
}
