import TestSupport
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


}

