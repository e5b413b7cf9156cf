import Foundation
import HTTPTypes
#if canImport(Glibc)
import Glibc
#endif

enum HTTPTestError: Error { case noPort, connect(Int32), io(String) }

/// A minimal HTTP/1.1 client for tests: one request per connection (`Connection: close`), read to EOF.
/// Blocking socket calls run on a thread of their own: not on a dispatch queue, whose threads
/// Swift's concurrency shares on Linux (blocking them starves the server under test).
enum RawHTTP {
    static func send(port: Int, method: String, uri: String, headers: [(String, String)], body: [UInt8]) async throws -> Reply {
        try await withCheckedThrowingContinuation { continuation in
            let thread = Thread {
                continuation.resume(with: Result { try exchange(port: port, method: method, uri: uri, headers: headers, body: body) })
            }
            thread.start()
        }
    }

    static func exchange(port: Int, method: String, uri: String, headers: [(String, String)], body: [UInt8]) throws -> Reply {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw HTTPTestError.connect(errno) }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let rc = withUnsafePointer(to: &address) { p in
            p.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard rc == 0 else { throw HTTPTestError.connect(errno) }
        var head = "\(method) \(uri) HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nConnection: close\r\n"
        for (k, v) in headers { head += "\(k): \(v)\r\n" }
        head += "Content-Length: \(body.count)\r\n\r\n"
        let out = Array(head.utf8) + body
        var sent = 0
        while sent < out.count {
            let n = out[sent...].withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            if n <= 0 { break } // the server may refuse a large body early; read its answer anyway
            sent += n
        }
        var data: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        // Read until the body announced by Content-Length is complete (or EOF): the server need
        // not close the connection for the answer to be whole.
        var expected: Int?
        while expected == nil || data.count < expected! {
            let n = read(fd, &buffer, buffer.count)
            if n <= 0 { break }
            data += buffer[0..<n]
            if expected == nil, let end = find(data, [13, 10, 13, 10]) {
                let head = String(decoding: data[0..<end], as: UTF8.self).lowercased()
                if let r = head.firstRange(of: "\r\ncontent-length:") {
                    let digits = head[r.upperBound...].prefix { $0 == " " || $0.isNumber }.filter(\.isNumber)
                    if let length = Int(String(digits)) { expected = end + 4 + length }
                }
            }
        }
        guard let split = find(data, [13, 10, 13, 10]) else { throw HTTPTestError.io("no response head in \(data.count) bytes") }
        let lines = String(decoding: data[0..<split], as: UTF8.self).splitting(by: "\r\n")
        let statusCode = Int(lines[0].split(separator: " ")[1]) ?? 0
        var fields = HTTPFields()
        var chunked = false
        for line in lines.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            let name = String(line[..<colon]), value = String(line[line.index(after: colon)...]).trimming(" ")
            if let n = HTTPField.Name(name) { fields.append(HTTPField(name: n, value: value)) }
            if name.lowercased() == "transfer-encoding" && value.lowercased().contains("chunked") { chunked = true }
        }
        var payload = Array(data[(split + 4)...])
        if chunked { payload = dechunk(payload) }
        return Reply(status: HTTPResponse.Status(code: statusCode), headers: fields, text: String(decoding: payload, as: UTF8.self))
    }

    static func find(_ haystack: [UInt8], _ needle: [UInt8]) -> Int? {
        guard haystack.count >= needle.count else { return nil }
        for i in 0...(haystack.count - needle.count) where haystack[i..<(i + needle.count)].elementsEqual(needle) { return i }
        return nil
    }

    static func dechunk(_ bytes: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        var i = 0
        while let end = find(Array(bytes[i...]), [13, 10]).map({ $0 + i }) {
            let size = Int(String(decoding: bytes[i..<end], as: UTF8.self), radix: 16) ?? 0
            if size == 0 { break }
            out += bytes[(end + 2)..<min(bytes.count, end + 2 + size)]
            i = end + 2 + size + 2
            if i >= bytes.count { break }
        }
        return out
    }
}

extension String {
    func splitting(by separator: String) -> [String] {
        var parts: [String] = []
        var rest = Substring(self)
        while let r = rest.firstRange(of: separator) {
            parts.append(String(rest[..<r.lowerBound]))
            rest = rest[r.upperBound...]
        }
        parts.append(String(rest))
        return parts
    }
    func trimming(_ set: String) -> String {
        var s = Substring(self)
        while let f = s.first, set.contains(f) { s = s.dropFirst() }
        while let l = s.last, set.contains(l) { s = s.dropLast() }
        return String(s)
    }
}
