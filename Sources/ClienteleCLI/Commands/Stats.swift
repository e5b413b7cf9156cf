import Access
import ArgumentParser
import Ledger
import LedgerJSON

extension Clientele {
    /// `clientele stats`: how big the ledger is and what it holds.
    struct Stats: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show events, customers, events per type and size on disk.")

        @OptionGroup var options: DatabaseOptions

        @Flag(help: "Print one JSON object instead of tables.")
        var json = false

        func run() async throws {
            _ = try options.authorize(.readReports)
            let ledger = try Ledger(path: options.db)
            defer { ledger.close() }
            let s = try ledger.stats()
            if json {
                var w = JSONWriter()
                w.raw("{\"events\":"); w.number(s.events)
                w.raw(",\"customers\":"); w.number(Int64(s.customers))
                w.raw(",\"stores\":"); w.number(Int64(s.stores))
                w.raw(",\"fileBytes\":"); w.number(Int64(s.fileBytes))
                w.raw(",\"usedBytes\":"); w.number(Int64(s.usedBytes))
                w.raw(",\"mapSize\":"); w.number(Int64(s.mapSize))
                w.raw(",\"firstOccurredAt\":"); if let t = s.firstOccurred { w.string(t.iso8601) } else { w.raw("null") }
                w.raw(",\"lastOccurredAt\":"); if let t = s.lastOccurred { w.string(t.iso8601) } else { w.raw("null") }
                w.raw(",\"eventsByType\":{")
                for (i, t) in s.eventsByType.enumerated() {
                    if i > 0 { w.raw(",") }
                    w.string(t.type); w.raw(":"); w.number(Int64(t.count))
                }
                w.raw("},\"databases\":{")
                for (i, d) in s.entriesByDatabase.enumerated() {
                    if i > 0 { w.raw(",") }
                    w.string(d.name); w.raw(":{\"entries\":"); w.number(Int64(d.entries)); w.raw(",\"bytes\":"); w.number(Int64(d.bytes)); w.raw("}")
                }
                w.raw("}}\n")
                Output.write(w.bytes)
                return
            }
            var summary = TextTable(header: ["ledger", options.db])
            summary.rows = [
                ["events", Format.grouped(Int(s.events))],
                ["customers", Format.grouped(s.customers)],
                ["stores", Format.grouped(s.stores)],
                ["occurred", s.firstOccurred.map { "\($0.iso8601) … \(s.lastOccurred!.iso8601)" } ?? "—"],
                ["size on disk", Format.bytes(s.fileBytes)],
                ["in use", Format.bytes(s.usedBytes) + " of a " + Format.bytes(s.mapSize) + " map"],
            ]
            Output.line(summary.render())
            if !s.eventsByType.isEmpty {
                var types = TextTable(header: ["type", "events", "share"], rightAligned: [1, 2])
                for t in s.eventsByType {
                    types.rows.append([t.type, Format.grouped(t.count), Format.fixed(100 * Double(t.count) / Double(max(1, s.events)), 1) + " %"])
                }
                Output.line("")
                Output.line(types.render())
            }
        }
    }
}
