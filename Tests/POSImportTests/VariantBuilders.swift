#if canImport(Glibc)
import Glibc
#endif
@testable import POSImport

/// Builds variants of the sample files inside the tests: other delimiters, line ends, column
/// orders and encodings.
enum VariantBuilders {
    /// Every record of a sample (header first), read with the library's own reader.
    static func records(_ path: String) throws -> [[String]] {
        let reader = try CSVReader(path: path)
        var rows: [[String]] = []
        while try reader.next() { rows.append(reader.fields) }
        return rows
    }

    /// Rows as CSV text, every field quoted (so values with delimiters or line breaks survive).
    static func csv(_ rows: [[String]], delimiter: String = ",", lineEnd: String = "\n") -> String {
        rows.map { row in
            row.map { "\"" + $0.replacing("\"", with: "\"\"") + "\"" }.joined(separator: delimiter)
        }.joined(separator: lineEnd) + lineEnd
    }

    /// `text` converted from UTF-8 to `encoding` with glibc's iconv.
    static func encode(_ text: String, to encoding: String) -> [UInt8] {
        let cd = iconv_open(encoding, "UTF-8")
        precondition(cd != iconv_t(bitPattern: -1), "iconv cannot write \(encoding)")
        defer { iconv_close(cd) }
        var input = Array(text.utf8)
        var output = [UInt8](repeating: 0, count: input.count * 4 + 16)
        let written: Int = input.withUnsafeMutableBufferPointer { ib in
            output.withUnsafeMutableBufferPointer { ob in
                var inPtr: UnsafeMutablePointer<CChar>? = UnsafeMutableRawPointer(ib.baseAddress!).assumingMemoryBound(to: CChar.self)
                var inLeft = ib.count
                var outPtr: UnsafeMutablePointer<CChar>? = UnsafeMutableRawPointer(ob.baseAddress!).assumingMemoryBound(to: CChar.self)
                var outLeft = ob.count
                let r = iconv(cd, &inPtr, &inLeft, &outPtr, &outLeft)
                precondition(r != -1, "iconv failed")
                return ob.count - outLeft
            }
        }
        return Array(output[..<written])
    }
}

