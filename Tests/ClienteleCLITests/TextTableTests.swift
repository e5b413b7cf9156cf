import Testing
@testable import ClienteleCLI

/// The tables every command prints: aligned in terminal columns, at most 80 wide.
@Suite("Tables for an 80-column terminal")
struct TextTableTests {
    /// The terminal column at which `needle` starts in `line`.
    static func column(of needle: String, in line: String) -> Int? {
        guard let r = line.range(of: needle) else { return nil }
        return Terminal.columns(String(line[..<r.lowerBound]))
    }

    @Test("Chinese text takes two columns a character, and the columns after it stay aligned")
    func wideCharacters() {
        #expect(Terminal.columns("上海一店") == 8)
        #expect(Terminal.columns("Café") == 4)
        #expect(Terminal.columns("Cafe\u{301}") == 4) // a combining accent takes none
        #expect(Terminal.columns("ｱ") == 1 && Terminal.columns("Ａ") == 2) // halfwidth katakana, fullwidth A
        var t = TextTable(header: ["store", "visits", "note"], rightAligned: [1])
        t.rows = [["上海一店", "12", "x1"], ["SH-001", "7", "x2"], ["北京", "1,024", "x3"]]
        let lines = t.render().split(separator: "\n").map(String.init)
        let notes = ["note", "x1", "x2", "x3"].compactMap { n in lines.first { $0.contains(n) }.flatMap { Self.column(of: n, in: $0) } }
        #expect(notes.count == 4 && Set(notes).count == 1, "\(lines)")
        // Right-aligned numbers end in the same column.
        let ends = [("12", 2), ("7", 3), ("1,024", 4)].compactMap { n, row in Self.column(of: n, in: lines[row]).map { $0 + n.count } }
        #expect(Set(ends).count == 1, "\(lines)")
    }

    @Test("a table too wide cuts its truncatable column with an ellipsis, to 80 columns")
    func truncates() {
        var t = TextTable(header: ["complaint", "customer", "category", "severity", "status", "next", "clock", "left"], rightAligned: [7], truncatable: [2])
        t.rows = [["CP-100893", "C0010955", "service-attitude-and-more", "critical", "resolved", "close", "breached", "-340d 3h"],
                  ["CP-1", "C1", "price", "low", "filed", "plan", "ok", "3h"]]
        let lines = t.render().split(separator: "\n").map(String.init)
        #expect(lines.allSatisfy { Terminal.columns($0) <= 80 }, "\(lines)")
        #expect(lines[2].contains("service-att") && lines[2].contains("…"))
        #expect(lines[3].contains("price") && !lines[3].contains("…"))
        #expect(lines.allSatisfy { $0.hasPrefix("complaint") || $0.hasPrefix("---") || $0.hasPrefix("CP-") })
    }

    @Test("when cutting one column is not enough, the next truncatable ones are cut in turn")
    func truncatesInTurn() {
        var t = TextTable(header: ["complaint", "customer", "category", "severity", "status", "next", "clock", "left"], rightAligned: [7], truncatable: [2, 1, 0])
        t.rows = [["CP-2026-11-23-SH-MALL-0001", "CUSTOMER-LOYALTY-00012345", "product-quality", "critical", "handling", "close", "breached", "-340d 3h"],
                  ["CP-1", "C1", "price", "low", "filed", "plan", "ok", "3h"]]
        let lines = t.render().split(separator: "\n").map(String.init)
        #expect(lines.allSatisfy { Terminal.columns($0) <= 80 }, "\(lines)")
        // Category and customer down to 8 columns, then the complaint id as far as needed.
        #expect(lines[2].hasPrefix("CP-2026-11-2… ") && lines[2].contains("CUSTOME…") && lines[2].contains("product…") && lines[2].hasSuffix("-340d 3h"), "\(lines)")
        #expect(lines[3].hasPrefix("CP-1 ") && lines[3].contains("price") && !lines[3].contains("…"))
    }

    @Test("ids are cut in the middle: two complaints of one day, or two desks' tokens, stay apart")
    func cutsIdsInTheMiddle() {
        var t = TextTable(header: ["complaint", "customer", "category", "severity", "status", "next", "clock", "left"], rightAligned: [7], truncatable: [2, 1, 0],
                          cutInMiddle: [1, 0])
        t.rows = [["CP-20261207-SH-MALL-0812", "CUSTOMER-LOYALTY-00012345", "product-quality", "critical", "handling", "close", "breached", "-340d 3h"],
                  ["CP-20261207-SH-MALL-0813", "CUSTOMER-LOYALTY-00012346", "price", "low", "filed", "plan", "ok", "3h"]]
        let lines = t.render().split(separator: "\n").map(String.init)
        #expect(lines.allSatisfy { Terminal.columns($0) <= 80 }, "\(lines)")
        let ids = lines.dropFirst(2).map { String($0.prefix { $0 != " " }) }
        #expect(ids.count == 2 && ids[0] != ids[1] && ids.allSatisfy { $0.hasPrefix("CP-202") && $0.contains("…") }, "\(ids)")
        #expect(ids[0].hasSuffix("0812") && ids[1].hasSuffix("0813") && lines[2].contains("…2345") && lines[3].contains("…2346"), "\(lines)")
        var staff = TextTable(header: ["staff", "handled", "respond", "resolve", "on time", "CSAT", "filed", "calls"], rightAligned: [1, 2, 3, 4, 5, 6, 7],
                              truncatable: [0], cutInMiddle: [0])
        staff.rows = [["token:pudong-service-desk-2", "12", "14 min", "3 h 20 min", "91.7 %", "4.50", "3", "10"]]
        staff.rows.append(["token:pudong-service-desk-3", "2", "1 h 2 min", "23 h 59 min", "100.0 %", "—", "30", "100"])
        let staffLines = staff.render().split(separator: "\n").map(String.init)
        #expect(staffLines.allSatisfy { Terminal.columns($0) <= 80 } && staffLines[2].contains("desk-2") && staffLines[3].contains("desk-3"), "\(staffLines)")
    }

    @Test("a table too wide wraps its last column under itself, losing no word")
    func wraps() {
        var t = TextTable(header: ["field", "value"])
        let long = (1...30).map { "word\($0)" }.joined(separator: " ")
        t.rows = [["preferences", long], ["tier", "gold"]]
        let lines = t.render().split(separator: "\n").map(String.init)
        #expect(lines.allSatisfy { Terminal.columns($0) <= 80 }, "\(lines)")
        let start = Self.column(of: "word1 ", in: lines[2])
        let continued = lines.dropFirst(3).prefix { !$0.hasPrefix("tier") }
        #expect(!continued.isEmpty && continued.allSatisfy { $0.prefix(start ?? 0).allSatisfy { $0 == " " } })
        let text = ([String(lines[2].dropFirst(start ?? 0))] + continued.map { String($0.dropFirst(start ?? 0)) }).joined(separator: " ")
        #expect(text == long)
        #expect(lines.last?.hasPrefix("tier") == true)
        #expect(Terminal.wrap(String(repeating: "汉", count: 50), columns: 20).allSatisfy { Terminal.columns($0) <= 20 })
    }
}
