import Access
import CustomerEvents
import HTTPTypes
import Hummingbird
import ServiceLifecycle
import Ledger
import LedgerJSON
import Logging
import Service
import TestSupport
import Testing

/// A real server on 127.0.0.1 over a fresh ledger in a temporary folder, with one token per role:
/// `clerk` (store S1), `clerk2` (store S2), `manager`, `analyst`, `compliance`, `admin`.
struct ServerFixture {
    let folder: TemporaryFolder
    let backend: ClienteleBackend
    let tokens: [String: String]
    let configuration: ServiceConfiguration

    static func make(maxBodyBytes: Int = 64 * 1024, rankingTTL: Duration = .zero) throws -> ServerFixture {
        let folder = TemporaryFolder("service")
        let db = folder.path + "/ledger"
        var options = LedgerOptions()
        options.create = true
        try Ledger(path: db, options: options).close()
        let keyFile = folder.path + "/master.key"
        try MasterKey.generate().write(to: keyFile)
        var configuration = ServiceConfiguration(databasePath: db)
        configuration.port = 0
        configuration.masterKeyFile = keyFile
        configuration.maxBodyBytes = maxBodyBytes
        configuration.rankingTTL = rankingTTL
        let store = try TokenStore(ledgerPath: db)
        var tokens: [String: String] = [:]
        for (name, role, stores) in [("clerk", Role.clerk, ["S1"]), ("clerk2", .clerk, ["S2"]), ("manager", .manager, []),
                                     ("analyst", .analyst, []), ("compliance", .compliance, []), ("admin", .admin, [])] {
            tokens[name] = try store.create(name: name, role: role, stores: stores, createdBy: "test").token
        }
        return ServerFixture(folder: folder, backend: try ClienteleBackend(settings: configuration), tokens: tokens, configuration: configuration)
    }

    /// Runs `body` against a live server on 127.0.0.1 (an ephemeral port), then shuts it down
    /// gracefully (as SIGTERM would) and removes the folder. `beforeStart` runs on the fixture
    /// before the server starts (and its background catch-up with it).
    static func withServer(maxBodyBytes: Int = 64 * 1024, rankingTTL: Duration = .zero,
                           beforeStart: (ServerFixture) throws -> Void = { _ in },
                           _ body: @Sendable (Client) async throws -> Void) async throws {
        let fixture = try make(maxBodyBytes: maxBodyBytes, rankingTTL: rankingTTL)
        defer { fixture.backend.close(); fixture.folder.remove() }
        try beforeStart(fixture)
        var logger = Logger(label: "service-tests")
        logger.logLevel = .warning
        let (ports, portSink) = AsyncStream.makeStream(of: Int.self)
        let app = buildApplication(backend: fixture.backend, configuration: fixture.configuration, logger: logger) { port in
            portSink.yield(port)
        }
        let group = ServiceGroup(configuration: .init(services: [app], logger: logger))
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            var iterator = ports.makeAsyncIterator()
            guard let port = await iterator.next() else { throw HTTPTestError.noPort }
            do {
                try await body(Client(port: port, fixture: fixture))
            } catch {
                await group.triggerGracefulShutdown()
                throw error
            }
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
        }
    }
}

/// A decoded response.
struct Reply: Sendable {
    let status: HTTPResponse.Status
    let headers: HTTPFields
    let text: String
    var json: JSONValue { (try? JSONParser.parse(text)) ?? .null }
    var contentType: String { headers[.contentType] ?? "" }
    var isProblem: Bool { contentType == "application/problem+json" && json["status"]?.int64Value == Int64(status.code) }
}

/// The test client with tokens by role name: plain HTTP/1.1 over a socket to 127.0.0.1.
struct Client: Sendable {
    let port: Int
    let fixture: ServerFixture

    func request(_ method: HTTPRequest.Method, _ uri: String, as role: String? = nil, token: String? = nil, body: String? = nil,
                 headers extra: HTTPFields = [:]) async throws -> Reply {
        var headers = extra
        if let role { headers[.authorization] = "Bearer " + fixture.tokens[role]! }
        if let token { headers[.authorization] = "Bearer " + token }
        if body != nil, headers[.contentType] == nil { headers[.contentType] = "application/json" }
        return try await RawHTTP.send(port: port, method: method.rawValue, uri: uri, headers: headers.map { ($0.name.rawName, $0.value) },
                                      body: body.map { Array($0.utf8) } ?? [])
    }

    func get(_ uri: String, as role: String? = nil) async throws -> Reply { try await request(.get, uri, as: role) }
    func post(_ uri: String, as role: String? = nil, _ body: String, headers: HTTPFields = [:]) async throws -> Reply {
        try await request(.post, uri, as: role, body: body, headers: headers)
    }

    /// The number of events in the log.
    func head() throws -> UInt64 { try fixture.backend.ledger.ledger.head().sequence }
}

/// An event envelope for `POST /v1/events`.
func eventJSON(type: String, customer: String, store: String = "S1", actor: String = "token:manager", channel: String = "counter",
               occurredAt: String = "2026-11-20T10:00:00+08:00", payload: String, extra: String = "") -> String {
    "{\"type\":\"\(type)\",\"customer\":\"\(customer)\",\"store\":\"\(store)\",\"actor\":\"\(actor)\",\"channel\":\"\(channel)\",\"occurredAt\":\"\(occurredAt)\"\(extra),\"payload\":\(payload)}"
}
