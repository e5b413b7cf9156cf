import Access
import Hummingbird
import Ledger
import NIOCore

/// What the service knows about one request as it passes through middleware and routes.
public struct ClienteleRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    /// Who sent it; set by the authentication middleware (nil on the open endpoints).
    public var principal: Principal?
    /// The request id, echoed in `X-Request-Id`, in problem documents and in every log line.
    public var requestId = ""
    /// The event loop that owns the request's connection.
    let eventLoop: any EventLoop

    public init(source: Source) {
        coreContext = .init(source: source)
        eventLoop = source.channel.eventLoop
    }

    /// Continues an append's caller on the connection's own event loop once the group commit is
    /// durable, so that the response is written there rather than handed over from another loop.
    var resumption: Resumption {
        let loop = eventLoop
        return { work in loop.execute(work) }
    }

    /// The principal, refused unless their role holds `capability`.
    /// - Throws: `Problem` 401 without a principal, 403 naming the roles needed.
    func require(_ capability: Capability) throws(Problem) -> Principal {
        guard let principal else { throw Problem.unauthenticated("send Authorization: Bearer <token>") }
        do { try principal.authorize(capability) } catch { throw Problem.forbidden(error.description) }
        return principal
    }
}

extension Principal {
    /// Refuses (403) unless this principal may act on data of `store`.
    func requireStore(_ store: String?) throws(Problem) {
        do { try authorize(store: store) } catch { throw Problem.forbidden(error.description) }
    }
}

extension ClienteleRequestContext {
    /// A path parameter within the ledger's limits for that field (`EventLimits`): a longer one
    /// names nothing that can exist, so it is a 404, and it never reaches an index lookup. It is
    /// percent-decoded (`%E7%8E%8B` is 王), and read in NFC, the one spelling the ledger keeps ids
    /// in (`CanonicalText`).
    func identifier(_ name: String, limit: ClosedRange<Int>) throws -> String {
        let raw = try parameters.require(name)
        guard let decoded = percentDecoded(raw) else {
            throw Problem(.badRequest, kind: "bad-path", title: "Malformed path", detail: "the \(name) in the path has a broken percent-encoding (use %XX with two hex digits, of UTF-8 text)")
        }
        let value = CanonicalText.normalized(decoded)
        guard limit.contains(value.utf8.count) else { throw Problem.notFound("no \(name) '\(value.prefix(40))…': ids are at most \(limit.upperBound) bytes") }
        return value
    }
}

/// `s` with its `%XX` escapes decoded as UTF-8; nil when an escape is broken or the bytes are not UTF-8.
func percentDecoded(_ s: String) -> String? {
    guard s.utf8.contains(UInt8(ascii: "%")) else { return s }
    func hex(_ c: UInt8) -> UInt8? {
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return c - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return c - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return c - UInt8(ascii: "A") + 10
        default: return nil
        }
    }
    let bytes = Array(s.utf8)
    var out: [UInt8] = []
    out.reserveCapacity(bytes.count)
    var i = 0
    while i < bytes.count {
        if bytes[i] == UInt8(ascii: "%") {
            guard i + 2 < bytes.count, let h = hex(bytes[i + 1]), let l = hex(bytes[i + 2]) else { return nil }
            out.append(h << 4 | l)
            i += 3
        } else {
            out.append(bytes[i])
            i += 1
        }
    }
    return String(validating: out, as: UTF8.self)
}
