import HTTPTypes
import Hummingbird
import Ledger
import LedgerJSON
import NIOCore
import Projections

extension Request {
    /// The body parsed as JSON, refused past `limit` bytes (413), when not JSON (415) or not well formed (400).
    func jsonBody(limit: Int) async throws -> JSONValue {
        if let type = headers[.contentType]?.lowercased(),
           !(type.hasPrefix("application/json") || (type.hasPrefix("application/") && type.contains("+json"))) {
            throw Problem(.unsupportedMediaType, kind: "unsupported-media-type", title: "The body must be JSON",
                          detail: "send Content-Type: application/json")
        }
        if let length = headers[.contentLength].flatMap({ Int($0) }), length > limit { throw Problem.tooLarge(limit: limit) }
        let buffer: ByteBuffer
        do { buffer = try await body.collect(upTo: limit) } catch let error as HTTPError where error.status == .contentTooLarge {
            throw Problem.tooLarge(limit: limit)
        }
        if buffer.readableBytes == 0 { throw Problem.malformed("the body is empty; send a JSON document") }
        let bytes = Array(buffer.readableBytesView)
        return try bytes.withUnsafeBufferPointer { try Self.parse($0) }
    }

    static func parse(_ bytes: UnsafeBufferPointer<UInt8>) throws(Problem) -> JSONValue {
        do { return try JSONParser.parse(bytes) } catch { throw Problem.malformed(error.description) }
    }

    /// A query parameter (percent-decoded, in NFC: ids such as `store` are compared with the
    /// ledger's), nil when absent.
    func query(_ name: String) -> String? {
        uri.queryParameters.get(name).map(CanonicalText.normalized)
    }

    /// `asOf` as a point in the past: an RFC 3339 time or a sequence number (400 otherwise).
    func asOf() throws(Problem) -> AsOf? {
        guard let text = query("asOf"), !text.isEmpty else { return nil }
        guard let point = AsOf(text) else { throw Problem.badParameter("asOf", "expected an RFC 3339 time with a zone or a sequence number") }
        return point
    }

    /// A whole-number query parameter within `range`, or `fallback` when absent.
    func intQuery(_ name: String, in range: ClosedRange<Int>, default fallback: Int) throws(Problem) -> Int {
        guard let text = query(name) else { return fallback }
        guard let n = Int(text), range.contains(n) else {
            throw Problem.badParameter(name, "expected a whole number from \(range.lowerBound) to \(range.upperBound)")
        }
        return n
    }

    /// A query parameter that must be one of `allowed` (400 otherwise).
    func choice(_ name: String, _ allowed: [String], default fallback: String? = nil) throws(Problem) -> String? {
        guard let text = query(name) else { return fallback }
        guard allowed.contains(text) else { throw Problem.badParameter(name, "expected one of \(allowed.joined(separator: ", "))") }
        return text
    }
}

/// A JSON response written with the project's writer (no Foundation in the hot path).
func jsonResponse(_ value: JSONValue, status: HTTPResponse.Status = .ok, headers: HTTPFields = [:]) -> Response {
    var w = JSONWriter(capacity: 512)
    w.write(value)
    var fields = headers
    fields[.contentType] = "application/json"
    return Response(status: status, headers: fields, body: .init(byteBuffer: ByteBuffer(bytes: w.bytes)))
}

/// `id` as one segment of a URI path (a `Location` header): every byte but RFC 3986's unreserved
/// characters percent-encoded, so that an id with a space, a slash or non-ASCII text still names
/// the resource it was made for.
func pathSegment(_ id: String) -> String {
    let hex = Array("0123456789ABCDEF".utf8)
    var out: [UInt8] = []
    out.reserveCapacity(id.utf8.count)
    for b in id.utf8 {
        switch b {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
             UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"):
            out.append(b)
        default:
            out.append(UInt8(ascii: "%")); out.append(hex[Int(b >> 4)]); out.append(hex[Int(b & 15)])
        }
    }
    return String(decoding: out, as: UTF8.self)
}
