import CustomerEvents
import Ledger
import LedgerJSON
import Glibc

/// A fresh ledger with a key store and a master key, in a temporary folder.
struct TestLedger {
    let path: String
    let ledger: CustomerLedger
    let master: MasterKey

    init(_ label: String, master: MasterKey = .generate()) throws {
        var template = Array("/tmp/clientele-events-\(label)-XXXXXX".utf8CString)
        _ = template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }
        path = String(decoding: template.dropLast().map { UInt8(bitPattern: $0) }, as: UTF8.self)
        var options = LedgerOptions()
        options.create = true
        let log = try Ledger(path: path, options: options)
        let keys = try KeyStore(ledgerPath: path, masterKey: master)
        ledger = CustomerLedger(ledger: log, keys: keys)
        self.master = master
    }

    func remove() {
        ledger.close()
        for folder in [path + "/keys", path] {
            for name in ["data.mdb", "lock.mdb"] { unlink(folder + "/" + name) }
            rmdir(folder)
        }
    }

    /// Appends envelopes given as JSON text, failing the test on any refusal.
    @discardableResult
    func append(_ texts: String...) throws -> [AppendReceipt] {
        let docs = try texts.map { try JSONParser.parse($0) }
        return try ledger.appendAndWait(docs).map { try $0.get() }
    }
}

/// An envelope as JSON text.
func envelope(_ type: String, customer: String = "C1", version: Int? = nil, at: String = "2026-11-21T10:00:00+08:00",
              id: String? = nil, channel: String = "counter", _ payload: String) -> String {
    var s = #"{"type":"\#(type)","customer":"\#(customer)","store":"SH-001","actor":"staff-li","channel":"\#(channel)","occurredAt":"\#(at)""#
    if let version { s += #","schemaVersion":\#(version)"# }
    if let id { s += #","source":"test","externalId":"\#(id)""# }
    return s + #","payload":\#(payload)}"#
}

/// Whether `needle` occurs anywhere in the file at `path`.
func fileContains(_ path: String, _ needle: [UInt8]) -> Bool {
    guard let f = fopen(path, "rb") else { return false }
    defer { fclose(f) }
    var data: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 1 << 16)
    while true {
        let n = fread(&chunk, 1, chunk.count, f)
        if n <= 0 { break }
        data += chunk[0..<n]
    }
    guard needle.count <= data.count else { return false }
    let first = needle[0]
    var i = 0
    while i <= data.count - needle.count {
        if data[i] == first && data[i..<(i + needle.count)].elementsEqual(needle) { return true }
        i += 1
    }
    return false
}
