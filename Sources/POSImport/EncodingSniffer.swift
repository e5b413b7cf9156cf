#if canImport(Glibc)
import Glibc
#endif

/// Decides a file's encoding, byte-order mark and delimiter from its first block.
enum EncodingSniffer {
    /// What the start of a file says about how to read it.
    struct Result {
        var encoding: TextEncoding
        /// Bytes to skip at the start (a UTF-8 byte-order mark).
        var skip: Int
    }

    static let headSize = 1 << 16

    /// Reads the start of `path` and decides its encoding (or checks the `forced` one is plausible).
    /// - Throws: empty, binary or undecodable-file errors.
    static func sniff(path: String, forced: TextEncoding?) throws(POSImportError) -> Result {
        let head = try FileInput.head(path: path, count: headSize)
        let complete = head.count < headSize
        if head.isEmpty { throw .emptyFile(path: path) }
        if head.starts(with: [0xEF, 0xBB, 0xBF]) {
            if head.count == 3 || head[3...].allSatisfy({ $0 == 10 || $0 == 13 || $0 == 32 }) { throw .emptyFile(path: path) }
            return Result(encoding: forced ?? .utf8, skip: forced == nil || forced == .utf8 ? 3 : 0)
        }
        if head.starts(with: [0xFF, 0xFE]) || head.starts(with: [0xFE, 0xFF]) {
            return Result(encoding: forced ?? .utf16, skip: 0)
        }
        if head.starts(with: [0x50, 0x4B, 0x03, 0x04]) {
            throw .binaryFile(path: path, detail: "it is a zip archive, such as an .xlsx workbook")
        }
        if let nul = head.firstIndex(of: 0) {
            throw .binaryFile(path: path, detail: "it has a NUL byte at byte \(nul)")
        }
        let controls = head.lazy.filter { $0 < 32 && $0 != 9 && $0 != 10 && $0 != 13 && $0 != 12 }.count
        if controls * 20 > head.count {
            throw .binaryFile(path: path, detail: "\(controls) of its first \(head.count) bytes are control characters")
        }
        if head.allSatisfy({ $0 == 10 || $0 == 13 || $0 == 32 }) { throw .emptyFile(path: path) }
        if let forced { return Result(encoding: forced, skip: 0) }
        let badUTF8 = firstInvalidUTF8(head, complete: complete)
        if badUTF8 == nil { return Result(encoding: .utf8, skip: 0) }
        if isValid(head, encoding: "GB18030", complete: complete) { return Result(encoding: .gb18030, skip: 0) }
        throw .undecodableText(path: path, encoding: "UTF-8 or GB18030", byteOffset: badUTF8!)
    }

    /// The offset of the first byte that is not valid UTF-8, nil when all are (a sequence cut by the
    /// end of an incomplete block is allowed).
    static func firstInvalidUTF8(_ b: [UInt8], complete: Bool) -> Int? {
        var i = 0
        while i < b.count {
            let c = b[i]
            if c < 0x80 { i += 1; continue }
            let n: Int
            if c >= 0xC2 && c <= 0xDF { n = 1 } else if c >= 0xE0 && c <= 0xEF { n = 2 } else if c >= 0xF0 && c <= 0xF4 { n = 3 } else { return i }
            if i + n >= b.count + (complete ? 0 : 1) { return complete ? i : nil }
            for k in 1...n where i + k < b.count {
                if b[i + k] & 0xC0 != 0x80 { return i }
            }
            if n == 2 && ((c == 0xE0 && b[i + 1] < 0xA0) || (c == 0xED && b[i + 1] >= 0xA0)) { return i }
            if n == 3 && ((c == 0xF0 && b[i + 1] < 0x90) || (c == 0xF4 && b[i + 1] >= 0x90)) { return i }
            i += n + 1
        }
        return nil
    }

    /// Whether iconv converts `b` from `encoding` without an invalid sequence.
    static func isValid(_ b: [UInt8], encoding: String, complete: Bool) -> Bool {
        let cd = iconv_open("UTF-8", encoding)
        if cd == iconv_t(bitPattern: -1) { return false }
        defer { iconv_close(cd) }
        var input = b
        var output = [UInt8](repeating: 0, count: b.count * 2 + 16)
        return input.withUnsafeMutableBufferPointer { ib in
            output.withUnsafeMutableBufferPointer { ob in
                var inPtr: UnsafeMutablePointer<CChar>? = UnsafeMutableRawPointer(ib.baseAddress!).assumingMemoryBound(to: CChar.self)
                var inLeft = ib.count
                var outPtr: UnsafeMutablePointer<CChar>? = UnsafeMutableRawPointer(ob.baseAddress!).assumingMemoryBound(to: CChar.self)
                var outLeft = ob.count
                let r = iconv(cd, &inPtr, &inLeft, &outPtr, &outLeft)
                if r != -1 { return true }
                return errno == EINVAL && !complete
            }
        }
    }

    /// The delimiter of the first line of `bytes` (UTF-8): the most frequent of `,` `;` tab outside
    /// quotes, a comma when none occurs.
    static func delimiter(firstBytes bytes: [UInt8]) -> UInt8 {
        var counts: [UInt8: Int] = [44: 0, 59: 0, 9: 0]
        var quoted = false
        for c in bytes {
            if c == 34 { quoted.toggle(); continue }
            if quoted { continue }
            if c == 10 || c == 13 { break }
            if counts[c] != nil { counts[c]! += 1 }
        }
        let comma = counts[44]!, semicolon = counts[59]!, tab = counts[9]!
        if comma >= semicolon && comma >= tab { return 44 }
        return semicolon >= tab ? 59 : 9
    }
}
