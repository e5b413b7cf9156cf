import ArgumentParser
import Hummingbird
import Logging
import Service
#if canImport(Glibc)
import Glibc
#endif

extension Clientele {
    /// `clientele serve`: the HTTP service staff apps and POS connectors talk to.
    struct Serve: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Serve the ledger over HTTP (staff apps, service desk, POS connectors).",
            discussion: reflow("""
                Clients authenticate with bearer tokens (`clientele token create`). The API is described
                in schemas/openapi.yaml (also served at /openapi.yaml). SIGTERM or SIGINT stops it
                gracefully: in-flight requests finish, pending appends are committed, the ledger closes.
                """))

        @OptionGroup var options: DatabaseOptions
        @OptionGroup var keys: KeyOptions
        @OptionGroup var settings: ConfigOptions

        @Option(help: "The address to listen on.") var host = "127.0.0.1"
        @Option(help: "The TCP port.") var port = 8080
        @Option(name: .customLong("max-body"), help: "The largest request body accepted, in bytes.") var maxBody = 1 << 20
        @Option(name: .customLong("log-level"), help: "trace, debug, info, notice, warning, error or critical.") var logLevel = "info"
        @Option(name: .customLong("openapi"), help: "The OpenAPI document to serve at /openapi.yaml.") var openAPIPath = "schemas/openapi.yaml"

        func validate() throws {
            guard (0...65535).contains(port) else { throw ValidationError("--port must be from 0 to 65535") }
            guard Logger.Level(rawValue: logLevel) != nil else { throw ValidationError("--log-level must be one of trace, debug, info, notice, warning, error, critical") }
            guard maxBody >= 1024 else { throw ValidationError("--max-body must be at least 1024 bytes") }
        }

        func run() async throws {
            _ = try options.authorize(.administer, config: settings.path)
            let level = Logger.Level(rawValue: logLevel) ?? .info
            LoggingSystem.bootstrap { label in LineLogHandler(label: label, level: level) }
            var logger = Logger(label: "clientele.serve")
            logger.logLevel = level
            var configuration = ServiceConfiguration(databasePath: options.db)
            configuration.host = host
            configuration.port = port
            configuration.configurationFile = settings.file(db: options.db)
            configuration.masterKeyFile = keys.masterKeyFile
            configuration.maxBodyBytes = maxBody
            configuration.logLevel = level
            let backend: ClienteleBackend
            do { backend = try ClienteleBackend(settings: configuration) } catch { throw CommandFailure("\(error)") }
            let openAPI = Serve.readFile(openAPIPath)
            let announce = logger, host = configuration.host, db = configuration.databasePath
            let app = buildApplication(backend: backend, configuration: configuration, logger: logger, openAPI: openAPI) { port in
                announce.info("serving", metadata: ["address": .string("http://\(host):\(port)"), "db": .string(db)])
            }
            defer { backend.close() }
            try await app.runService()
        }

        static func readFile(_ path: String) -> [UInt8]? {
            guard let f = fopen(path, "rb") else { return nil }
            defer { fclose(f) }
            var out: [UInt8] = []
            var buffer = [UInt8](repeating: 0, count: 65536)
            while true {
                let n = fread(&buffer, 1, buffer.count, f)
                if n <= 0 { break }
                out += buffer[0..<n]
            }
            return out
        }
    }
}
