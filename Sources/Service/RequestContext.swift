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
    /// names nothing that can exist, so it is a 404, and it never reaches an index lookup.
    func identifier(_ name: String, limit: ClosedRange<Int>) throws -> String {
        let value = try parameters.require(name)
        guard limit.contains(value.utf8.count) else { throw Problem.notFound("no \(name) '\(value.prefix(40))…': ids are at most \(limit.upperBound) bytes") }
        return value
    }
}
