// The CSV reader measurement behind docs/csv-reader.md.
//   csv-reader-bench generate PATH ROWS   writes a UCI/Shopify-like export with quoted fields
//   csv-reader-bench measure PATH         reads it with both readers, three times each, and prints rows/s
//   csv-reader-bench receipts PATH        reads it into receipts with POSFileReader (the whole parsing path)

import Foundation
import POSImport

func generate(path: String, rows: Int) throws {
    FileManager.default.createFile(atPath: path, contents: nil)
    guard let out = FileHandle(forWritingAtPath: path) else { throw CocoaError(.fileNoSuchFile) }
    var chunk = "Invoice,StockCode,Description,Quantity,InvoiceDate,Price,Customer ID,Country,Note\n"
    let names = ["WHITE HANGING HEART T-LIGHT HOLDER", "\"Mattress, Bamboo 120 x 60\"", "JAM MAKING SET WITH JARS",
                 "\"He said \"\"hi\"\"\"", "CREAM CUPID HEARTS COAT HANGER", "\"two\nlines\""]
    for i in 0..<rows {
        let invoice = 536_365 + i / 4
        let name = names[i % names.count]
        let note = i % 10 == 0 ? "\"$1,149.00 \"" : ""
        chunk += "\(invoice),\(85_000 + i % 997)A,\(name),\(1 + i % 12),\(1 + i % 28)/12/2010 08:\(10 + i % 50),\(1 + i % 9).\(10 + i % 90),\(17_000 + i % 3000),United Kingdom,\(note)\n"
        if chunk.utf8.count > 1 << 20 {
            out.write(chunk.data(using: .utf8)!)
            chunk = ""
        }
    }
    out.write(chunk.data(using: .utf8)!)
    try out.close()
}

func seconds(_ body: () throws -> Int) rethrows -> (Int, Double) {
    let t0 = DispatchTime.now().uptimeNanoseconds
    let n = try body()
    return (n, Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9)
}

func measure(path: String) throws {
    let size = (try FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0
    print("file: \(path), \(size / 1_000_000) MB")
    for round in 1...3 {
        // POSImport.CSVReader: every field touched as bytes (what the profiles do), and as Strings.
        let (rows, t) = try seconds {
            let r = try POSImport.CSVReader(path: path)
            var n = 0, bytes = 0
            while try r.next() {
                for f in 0..<r.fieldCount { bytes &+= r.withField(f) { $0.count } }
                n += 1
            }
            precondition(bytes > 0)
            return n
        }
        print("round \(round) POSImport.CSVReader (bytes):   \(rows) rows in \(String(format: "%.2f", t)) s = \(Int(Double(rows) / t)) rows/s, \(String(format: "%.0f", Double(size) / t / 1e6)) MB/s")
        let (rows2, t2) = try seconds {
            let r = try POSImport.CSVReader(path: path)
            var n = 0, chars = 0
            while try r.next() {
                for f in 0..<r.fieldCount { chars &+= r.field(f).utf8.count }
                n += 1
            }
            precondition(chars > 0)
            return n
        }
        print("round \(round) POSImport.CSVReader (Strings): \(rows2) rows in \(String(format: "%.2f", t2)) s = \(Int(Double(rows2) / t2)) rows/s")
        let (rows3, t3) = try seconds {
            let stream = InputStream(fileAtPath: path)!
            let r = try YaslabCSVReader(stream: stream, hasHeaderRow: false)
            var n = 0, chars = 0
            while let row = r.next() {
                for f in row { chars &+= f.utf8.count }
                n += 1
            }
            precondition(chars > 0)
            return n
        }
        print("round \(round) yaslab CSV.swift 2.5.2:        \(rows3) rows in \(String(format: "%.2f", t3)) s = \(Int(Double(rows3) / t3)) rows/s")
    }
}

/// The whole parsing path: POSFileReader turning the generated UCI-like file into receipts.
func measureReceipts(path: String) throws {
    for round in 1...3 {
        var receipts = 0, rejected = 0, lines = 0
        let (rows, t) = try seconds {
            let reader = try POSFileReader(path: path, options: POSImportOptions(timeZone: "Europe/London"))
            while let record = try reader.next() {
                switch record {
                case .receipt(let r): receipts += 1; lines += r.lines.count
                case .rejected: rejected += 1
                case .skipped: break
                }
            }
            return reader.rowsRead
        }
        print("round \(round) POSFileReader (receipts):    \(rows) rows in \(String(format: "%.2f", t)) s = \(Int(Double(rows) / t)) rows/s (\(receipts) receipts, \(lines) lines, \(rejected) rejected)")
    }
}

let args = CommandLine.arguments
switch (args.count > 1 ? args[1] : "", args.count) {
case ("generate", 4): try generate(path: args[2], rows: Int(args[3]) ?? 1_000_000)
case ("measure", 3): try measure(path: args[2])
case ("receipts", 3): try measureReceipts(path: args[2])
default: print("usage: csv-reader-bench generate PATH ROWS | measure PATH | receipts PATH")
}
