import Hummingbird
import Logging
import ServiceLifecycle
#if canImport(Glibc)
import Glibc
#endif

/// The router of the service: middleware (request ids and problems outermost, then authentication) and every route.
public func buildRouter(backend: ClienteleBackend, openAPI: [UInt8]? = nil) -> Router<ClienteleRequestContext> {
    let router = Router(context: ClienteleRequestContext.self)
    router.add(middleware: RequestMiddleware(metrics: backend.metrics))
    router.add(middleware: AuthenticationMiddleware(tokens: backend.tokens))
    OperationsRoutes(backend: backend, openAPI: openAPI).add(to: router)
    WriteRoutes(backend: backend).add(to: router)
    let reads = ReadRoutes(backend: backend)
    reads.add(to: router)
    AuditRoutes(backend: backend, reads: reads).add(to: router)
    return router
}

/// The whole service: the HTTP server plus the ledger lifecycle and the background model catch-up,
/// in one service group. On SIGTERM/SIGINT the server stops accepting, drains in-flight requests,
/// then the ledger's writer commits what it holds and the ledger closes.
public func buildApplication(backend: ClienteleBackend, configuration: ServiceConfiguration, logger: Logger,
                             openAPI: [UInt8]? = nil, onServerRunning: @escaping @Sendable (Int) async -> Void = { _ in })
    -> some ApplicationProtocol {
    let router = buildRouter(backend: backend, openAPI: openAPI)
    var app = Application(
        router: router,
        configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: "clientele"),
        services: [LedgerLifecycle(backend: backend, logger: logger), ModelCatchUp(backend: backend, interval: configuration.catchUpInterval, logger: logger)],
        onServerRunning: { channel in await onServerRunning(channel.localAddress?.port ?? 0) },
        logger: logger
    )
    // The models are whole before the first request is served.
    app.beforeServerStarts { try backend.catchUpModels() }
    return app
}

/// Owns the ledger's lifetime in the service group: runs until shutdown, then closes the backend
/// (the group-commit writer commits every pending append first). Services stop in reverse order,
/// so this runs after the HTTP server has drained.
struct LedgerLifecycle: ServiceLifecycle.Service {
    let backend: ClienteleBackend
    let logger: Logger

    func run() async throws {
        try? await gracefulShutdown()
        logger.info("closing the ledger: committing pending appends")
        backend.close()
        logger.info("ledger closed")
    }
}

/// Folds new events into the read models in the background, so that reads rarely wait for it,
/// and files access records per customer while the service is quiet.
struct ModelCatchUp: ServiceLifecycle.Service {
    let backend: ClienteleBackend
    let interval: Duration
    let logger: Logger

    func run() async throws {
        var first = true
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            // The first round runs at once: it computes the rankings (segments, churn) that the
            // first reads would otherwise wait for.
            if !first { do { try await Task.sleep(for: interval) } catch { return } }
            first = false
            if Task.isShuttingDownGracefully { return }
            do {
                let backend = self.backend
                try await offloaded {
                    try backend.catchUpModels()
                    try backend.refreshRankings()
                    try backend.fileAccessRecordsWhenQuiet()
                }
            } catch {
                logger.error("catching the read models up failed", metadata: ["error": "\(error)"])
            }
        }
    }
}
