import Access
import HTTPTypes
import Hummingbird
import Logging
import Synchronization

/// The outermost middleware: gives each request an id (the client's `X-Request-Id` when it is
/// sane), turns every error into a problem document (a generic 500 for anything unexpected,
/// logged with the id, never shown), logs one line per request and counts it in the metrics.
struct RequestMiddleware: RouterMiddleware {
    typealias Context = ClienteleRequestContext
    let metrics: ServiceMetrics

    static let requestIdField = HTTPField.Name("X-Request-Id")!

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var context = context
        let id = request.headers[Self.requestIdField].flatMap(Self.sane) ?? Self.newId()
        context.requestId = id
        context.logger[metadataKey: "request.id"] = .string(id)
        let start = ContinuousClock.now
        var response: Response
        do {
            response = try await next(request, context)
        } catch let problem as Problem {
            response = problem.response(requestId: id)
        } catch let error as HTTPError {
            response = Self.problem(for: error).response(requestId: id)
        } catch let error as HTTPResponseError {
            // Hummingbird's own errors (bad request lines, body limits): their status, our document.
            response = Problem(error.status, kind: "http", title: error.status.reasonPhrase, detail: error.status.reasonPhrase).response(requestId: id)
        } catch {
            context.logger.error("request failed", metadata: ["error": "\(error)"])
            response = Problem.internal.response(requestId: id)
        }
        response.headers[Self.requestIdField] = id
        let duration = ContinuousClock.now - start
        let route = context.endpointPath ?? "unmatched"
        metrics.record(method: request.method.rawValue, route: route, status: response.status.code, duration: duration)
        if context.logger.logLevel <= .info {
            let micros = duration.components.seconds * 1_000_000 + duration.components.attoseconds / 1_000_000_000_000
            context.logger.info("request", metadata: [
                "http.method": .string(request.method.rawValue), "http.route": .string(route),
                "http.status": .stringConvertible(response.status.code), "http.duration_us": .stringConvertible(micros),
            ])
        }
        return response
    }

    static func problem(for error: HTTPError) -> Problem {
        switch error.status {
        case .notFound: return Problem.notFound("no such endpoint; see /openapi.yaml")
        case .methodNotAllowed: return Problem(.methodNotAllowed, kind: "method-not-allowed", title: "Method not allowed", detail: "this endpoint does not take that method")
        case .contentTooLarge: return Problem(.contentTooLarge, kind: "body-too-large", title: "The request body is too large", detail: "the body exceeds the size limit")
        default: return Problem(error.status, kind: "http", title: error.status.reasonPhrase, detail: error.body ?? error.status.reasonPhrase)
        }
    }

    static func sane(_ s: String) -> String? {
        guard (1...64).contains(s.utf8.count), s.utf8.allSatisfy({ ($0 >= 0x30 && $0 <= 0x39) || ($0 | 0x20 >= 0x61 && $0 | 0x20 <= 0x7A) || $0 == 0x2D || $0 == 0x5F || $0 == 0x2E }) else { return nil }
        return s
    }

    /// Where this process's request ids start (the only random draw: a system call per request
    /// cost as much as the rest of the id).
    private static let idSeed = UInt64.random(in: .min ... .max)
    private static let idCount = Atomic<UInt64>(0)

    /// Sixteen hex digits, never the same twice in a run: the request's number, scrambled by
    /// SplitMix64's steps (each one-to-one), so ids do not tell how many requests came before.
    static func newId() -> String {
        var z = idSeed &+ idCount.wrappingAdd(1, ordering: .relaxed).oldValue &* 0x9E37_79B9_7F4A_7C15
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        let v = z ^ (z >> 31)
        return hex(16, digits: "0123456789abcdef") { v }
    }

    /// `count` hex digits drawn from the system's random source: for ids the service mints for
    /// records (customers, complaints), which must not be guessable from others.
    static func randomHex(_ count: Int) -> String {
        var g = SystemRandomNumberGenerator()
        return hex(count, digits: "0123456789ABCDEF") { g.next() }
    }

    /// `count` digits of `digits`, four bits each, taken from the 64-bit words `next` gives.
    private static func hex(_ count: Int, digits: StaticString, next: () -> UInt64) -> String {
        String(unsafeUninitializedCapacity: count) { out in
            var v: UInt64 = 0
            for i in 0..<count {
                if i % 16 == 0 { v = next() }
                out[i] = digits.utf8Start[Int(v & 0xF)]
                v >>= 4
            }
            return count
        }
    }
}

/// Reads `Authorization: Bearer <token>` and sets the principal; 401 without a live token.
/// The open endpoints (health, metrics, the OpenAPI document) pass without one.
struct AuthenticationMiddleware: RouterMiddleware {
    typealias Context = ClienteleRequestContext
    let tokens: TokenStore
    static let open: Set<String> = ["/healthz", "/metrics", "/openapi.yaml"]

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        if Self.open.contains(request.uri.path) { return try await next(request, context) }
        guard let header = request.headers[.authorization] else {
            throw Problem.unauthenticated("send Authorization: Bearer <token> (clientele token create makes one)")
        }
        guard header.utf8.count > 7, header.prefix(7).lowercased() == "bearer " else {
            throw Problem.unauthenticated("the Authorization header must be 'Bearer <token>'")
        }
        let token = String(header.dropFirst(7)).trimmingSpaces
        let record: AccessToken?
        do { record = try tokens.authenticate(token) } catch {
            context.logger.error("token store failed", metadata: ["error": "\(error)"])
            throw Problem.unavailable("the token store cannot be read")
        }
        guard let record else { throw Problem.unauthenticated("the token is unknown or revoked") }
        var context = context
        context.principal = record.principal
        context.logger[metadataKey: "principal"] = .string(record.principal.actor)
        return try await next(request, context)
    }
}

extension String {
    var trimmingSpaces: String {
        var s = Substring(self)
        while s.first == " " { s = s.dropFirst() }
        while s.last == " " { s = s.dropLast() }
        return String(s)
    }
}
