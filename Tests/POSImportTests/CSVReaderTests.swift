import Testing
import Foundation
@testable import POSImport

@Suite("CSV reader")
struct CSVReaderTests {
    /// Every record of `text` as fields with their starting lines, read `blockSize` bytes at a time.
    func read(_ text: String, delimiter: UInt8 = 44, blockSize: Int = 1 << 20) throws -> [(Int, [String])] {
        let folder = Fixtures.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = Fixtures.write(text, to: "t.csv", in: folder)
        let reader = try CSVReader(path: path, delimiter: delimiter, blockSize: blockSize)
        var out: [(Int, [String])] = []
        while try reader.next() { out.append((reader.line, reader.fields)) }
        return out
    }

    @Test("RFC 4180 quoting: delimiters, doubled quotes and line breaks inside quotes", arguments: [1 << 20, 7, 1])
    func quoting(blockSize: Int) throws {
        let text = "a,b,c\n\"x, y\",\"say \"\"hi\"\"\",\"two\nlines\"\nplain,\"\",end\n"
        let rows = try read(text, blockSize: blockSize)
        #expect(rows.map(\.1) == [["a", "b", "c"], ["x, y", "say \"hi\"", "two\nlines"], ["plain", "", "end"]])
        #expect(rows.map(\.0) == [1, 2, 4])
    }

    @Test("CRLF, lone CR, LF, blank lines and no final line break", arguments: [1 << 20, 3])
    func lineEnds(blockSize: Int) throws {
        let rows = try read("h1,h2\r\n1,2\r\n\r\n3,4\r5,6\n\n7,8", blockSize: blockSize)
        #expect(rows.map(\.1) == [["h1", "h2"], ["1", "2"], ["3", "4"], ["5", "6"], ["7", "8"]])
        #expect(rows.map(\.0) == [1, 2, 4, 5, 7])
    }

    @Test("a UTF-8 byte-order mark is not part of the first header")
    func byteOrderMark() throws {
        let rows = try read("\u{FEFF}Invoice,Price\n1,2\n")
        #expect(rows[0].1 == ["Invoice", "Price"])
    }

    @Test("sloppy quoting is kept as written; empty trailing fields count")
    func lenient() throws {
        let rows = try read("5\" screen,\"a\"b,c,\n")
        #expect(rows[0].1 == ["5\" screen", "ab", "c", ""])
    }

    @Test("semicolon and tab delimiters")
    func delimiters() throws {
        #expect(try read("a;b\n1,5;2\n", delimiter: 59).map(\.1) == [["a", "b"], ["1,5", "2"]])
        #expect(try read("a\tb\n1\t2\n", delimiter: 9).map(\.1) == [["a", "b"], ["1", "2"]])
    }

    @Test("the delimiter is detected from the header line, outside quotes")
    func detection() {
        #expect(EncodingSniffer.delimiter(firstBytes: Array("a;b;c,d\n1,2,3,4,5,6".utf8)) == 59)
        #expect(EncodingSniffer.delimiter(firstBytes: Array("a\tb\tc\n".utf8)) == 9)
        #expect(EncodingSniffer.delimiter(firstBytes: Array("\"a;b;c\",d\n".utf8)) == 44)
        #expect(EncodingSniffer.delimiter(firstBytes: Array("single\n".utf8)) == 44)
    }

    @Test("a quote left open at the end of the file is a truncated-file error naming its line")
    func truncated() throws {
        #expect(throws: POSImportError.self) { _ = try read("a,b\n1,2\n3,\"open\nstill open") }
        do {
            _ = try read("a,b\n1,2\n3,\"open\nstill open")
        } catch let error as POSImportError {
            guard case .truncatedFile(_, let line) = error else { Issue.record("\(error)"); return }
            #expect(line == 3)
        }
    }

    @Test("a record larger than the read block, across many blocks")
    func bigRecord() throws {
        let big = String(repeating: "x", count: 5000)
        let rows = try read("h\n\"\(big)\"\n\(big)\n", blockSize: 64)
        #expect(rows.map(\.1) == [["h"], [big], [big]])
    }
}
