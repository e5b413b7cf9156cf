import Testing
import Audit

/// RFC 4180 cells, as every CSV the project writes (exports, reports, replay) quotes them.
@Suite("CSV cells")
struct CSVCellTests {
    @Test("a cell is quoted when it holds a comma, a quote, a CR or an LF (a CRLF too), its quotes doubled", arguments: [
        ("plain", "plain"), ("王芳, VIP", "\"王芳, VIP\""), (#"say "hi""#, #""say ""hi""""#),
        ("line\nbreak", "\"line\nbreak\""), ("carriage\rreturn", "\"carriage\rreturn\""),
        ("windows\r\nline", "\"windows\r\nline\""), ("", ""), ("emoji 👩‍👩‍👧 ok", "emoji 👩‍👩‍👧 ok"),
    ])
    func cell(text: String, expected: String) {
        #expect(CSV.cell(text) == expected)
    }

    @Test("a line joins its cells with commas and ends in CRLF")
    func line() {
        #expect(CSV.line(["a", "b,c", "d\r\ne"]) == "a,\"b,c\",\"d\r\ne\"\r\n")
    }
}
