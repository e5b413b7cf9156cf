import Access
import Hummingbird

/// What the service knows about one request as it passes through middleware and routes.
public struct ClienteleRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    /// Who sent it; set by the authentication middleware (nil on the open endpoints).
    public var principal: Principal?
    /// The request id, echoed in `X-Request-Id`, in problem documents and in every log line.
    public var requestId = ""

    public init(source: Source) {
        coreContext = .init(source: source)
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
