#if canImport(Glibc)
import Glibc
#endif

/// Text the tests build files from: quoted CSV, and other encodings through glibc's iconv.
public enum TestText {
    /// Rows as CSV text, every field quoted (so values with delimiters or line breaks survive).
    public static func quotedCSV(_ rows: [[String]], delimiter: String = ",", lineEnd: String = "\n") -> String {
        rows.map { row in
            row.map { "\"" + $0.replacing("\"", with: "\"\"") + "\"" }.joined(separator: delimiter)
        }.joined(separator: lineEnd) + lineEnd
    }

    /// `text` converted from UTF-8 to `encoding` (e.g. GB18030, UTF-16LE) with glibc's iconv.
    public static func encode(_ text: String, to encoding: String) -> [UInt8] {
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
                precondition(iconv(cd, &inPtr, &inLeft, &outPtr, &outLeft) != -1, "iconv failed")
                return ob.count - outLeft
            }
        }
        return Array(output[..<written])
    }
}
