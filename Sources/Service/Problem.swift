import HTTPTypes
import Hummingbird
import LedgerJSON
import NIOCore

/// An error as the client sees it: an RFC 9457 `application/problem+json` document.
///
/// Only this type reaches a client: the error middleware turns anything else into a generic 500
/// (logged with the request id), so no stack trace, file path or internal message leaks.
public struct Problem: Error, HTTPResponseError, Sendable, CustomStringConvertible {
    /// The HTTP status.
    public var status: HTTPResponse.Status
    /// A short, stable name of the kind of problem (`validation`, `version-conflict`…): `type` is `/problems/<kind>`.
    public var kind: String
    /// A human summary of the kind.
    public var title: String
    /// What went wrong in this request, in words a client developer can act on.
    public var detail: String
    /// The JSON path of the field at fault in the request body, when there is one.
    public var path: String?
    /// More members (RFC 9457 extensions).
    public var extensions: [(String, JSONValue)] = []
    /// Extra response headers (WWW-Authenticate, Retry-After…).
    public var headers: HTTPFields = [:]

    /// A problem of `kind` with `status`.
    public init(_ status: HTTPResponse.Status, kind: String, title: String, detail: String, path: String? = nil) {
        self.status = status
        self.kind = kind
        self.title = title
        self.detail = detail
        self.path = path
    }

    public var description: String { "\(status.code) \(kind): \(detail)" + (path.map { " at \($0)" } ?? "") }

    /// The document, with the request id (as `instance` and `requestId`).
    public func document(requestId: String?) -> JSONValue {
        var m: [(String, JSONValue)] = [("type", .string("/problems/" + kind)), ("title", .string(title)),
                                        ("status", .number(String(status.code))), ("detail", .string(detail))]
        if let path { m.append(("path", .string(path))) }
        if let requestId {
            m.append(("instance", .string("/requests/" + requestId)))
            m.append(("requestId", .string(requestId)))
        }
        m += extensions
        return .object(m)
    }

    /// The response for `requestId`.
    public func response(requestId: String?) -> Response {
        var w = JSONWriter(capacity: 256)
        w.write(document(requestId: requestId))
        var fields = headers
        fields[.contentType] = "application/problem+json"
        fields[.cacheControl] = "no-store"
        return Response(status: status, headers: fields, body: .init(byteBuffer: ByteBuffer(bytes: w.bytes)))
    }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        response(requestId: (context as? ClienteleRequestContext)?.requestId)
    }
}

extension Problem {
    /// 400: the body is not JSON.
    static func malformed(_ detail: String) -> Problem {
        Problem(.badRequest, kind: "malformed-json", title: "The request body is not valid JSON", detail: detail, path: "$")
    }
    /// 400: a query parameter is wrong.
    static func badParameter(_ name: String, _ detail: String) -> Problem {
        var p = Problem(.badRequest, kind: "bad-parameter", title: "A query parameter is invalid", detail: "\(name): \(detail)")
        p.extensions = [("parameter", .string(name))]
        return p
    }
    /// 422: the body breaks the contract, at `path`.
    static func validation(path: String, reason: String) -> Problem {
        Problem(.unprocessableContent, kind: "validation", title: "The request does not match the schema", detail: "\(path): \(reason)", path: path)
    }
    /// 401: no usable token.
    static func unauthenticated(_ detail: String) -> Problem {
        var p = Problem(.unauthorized, kind: "unauthenticated", title: "A valid bearer token is required", detail: detail)
        p.headers[.wwwAuthenticate] = "Bearer realm=\"clientele\""
        return p
    }
    /// 403: the principal may not do this.
    static func forbidden(_ detail: String) -> Problem {
        Problem(.forbidden, kind: "forbidden", title: "Not allowed for this token", detail: detail)
    }
    /// 404.
    static func notFound(_ detail: String) -> Problem {
        Problem(.notFound, kind: "not-found", title: "Not found", detail: detail)
    }
    /// 409: the stream is not at the expected version.
    static func conflict(_ detail: String, kind: String = "version-conflict") -> Problem {
        Problem(.conflict, kind: kind, title: "The customer's stream is not at the expected version", detail: detail)
    }
    /// 413.
    static func tooLarge(limit: Int) -> Problem {
        Problem(.contentTooLarge, kind: "body-too-large", title: "The request body is too large", detail: "bodies are limited to \(limit) bytes")
    }
    /// 503: the ledger is closing or failed to write.
    static func unavailable(_ detail: String) -> Problem {
        var p = Problem(.serviceUnavailable, kind: "unavailable", title: "The ledger cannot take this request now", detail: detail)
        p.headers[.retryAfter] = "1"
        return p
    }
    /// 500, with nothing of the cause.
    static let `internal` = Problem(.internalServerError, kind: "internal", title: "Internal error",
                                    detail: "the server failed to answer this request; quote the request id when reporting it")
}
