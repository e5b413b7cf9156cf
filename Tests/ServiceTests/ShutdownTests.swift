import Ledger
import LedgerJSON
import Logging
import Service
import ServiceLifecycle
import Testing

@Suite("Graceful shutdown")
struct ShutdownTests {
    @Test("shutting down while writes are in flight: every acknowledged event is in the ledger afterwards")
    func drainsAndFlushes() async throws {
        let fixture = try ServerFixture.make()
        defer { fixture.folder.remove() }
        var logger = Logger(label: "shutdown-test")
        logger.logLevel = .critical
        let (ports, portSink) = AsyncStream.makeStream(of: Int.self)
        let app = buildApplication(backend: fixture.backend, configuration: fixture.configuration, logger: logger) { portSink.yield($0) }
        let group = ServiceGroup(configuration: .init(services: [app], logger: logger))
        let acknowledged = try await withThrowingTaskGroup(of: [UInt64].self) { tasks -> [UInt64] in
            tasks.addTask { try await group.run(); return [] }
            var iterator = ports.makeAsyncIterator()
            guard let port = await iterator.next() else { throw HTTPTestError.noPort }
            let client = Client(port: port, fixture: fixture)
            for worker in 0..<16 {
                tasks.addTask {
                    var sequences: [UInt64] = []
                    for i in 0..<25 {
                        let body = eventJSON(type: "VisitRecorded", customer: "S-\(worker)-\(i)", payload: #"{"kind":"walk-in"}"#)
                        let r: Result<Reply, any Error>
                        do { r = .success(try await client.post("/v1/events", as: "manager", body)) } catch { r = .failure(error) }
                        guard let reply = try? r.get() else { break }
                        if reply.status == .created, let n = reply.json["sequence"]?.int64Value { sequences.append(UInt64(n)) }
                        #expect(reply.status == .created || reply.status == .serviceUnavailable, "\(reply.status) \(reply.text)")
                    }
                    return sequences
                }
            }
            try await Task.sleep(for: .milliseconds(150))
            await group.triggerGracefulShutdown()
            var all: [UInt64] = []
            for try await part in tasks { all += part }
            return all
        }
        fixture.backend.close()
        #expect(!acknowledged.isEmpty)
        // Reopen: every event the server said was appended is there, in one gapless log.
        let ledger = try Ledger(path: fixture.configuration.databasePath)
        defer { ledger.close() }
        let head = try ledger.head().sequence
        #expect(head >= UInt64(acknowledged.count))
        for n in acknowledged { #expect(try ledger.event(n) != nil) }
    }
}
