/// RFC 4180 CSV text: a cell is quoted when it holds a comma, a quote or a line break.
public enum CSV {
    /// One cell, quoted when it needs to be.
    ///
    /// Looked for in the UTF-8 bytes (a comma, quote, CR or LF byte is never part of a longer
    /// character there): by `Character`, "\r\n" is one character equal to neither "\r" nor "\n",
    /// so a cell holding a CRLF went out unquoted and split its record; and comparing characters
    /// (with Foundation's search to double the quotes) was most of a large export's time.
    public static func cell(_ text: String) -> String {
        guard text.utf8.contains(where: { $0 == 0x2C || $0 == 0x22 || $0 == 0x0A || $0 == 0x0D }) else { return text }
        var quoted: [UInt8] = [0x22]
        quoted.reserveCapacity(text.utf8.count + 8)
        for b in text.utf8 {
            if b == 0x22 { quoted.append(0x22) }
            quoted.append(b)
        }
        quoted.append(0x22)
        return String(decoding: quoted, as: UTF8.self)
    }

    /// One line of cells, ending in CRLF as RFC 4180 says.
    public static func line(_ cells: [String]) -> String {
        cells.map(cell).joined(separator: ",") + "\r\n"
    }
}
