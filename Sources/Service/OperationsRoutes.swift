import Hummingbird
import LedgerJSON
import NIOCore
import Projections

/// `GET /healthz`, `GET /metrics` (Prometheus text) and `GET /openapi.yaml`: open, no token.
struct OperationsRoutes {
    let backend: ClienteleBackend
    let openAPI: [UInt8]?

    func add(to router: Router<ClienteleRequestContext>) {
        router.get("/healthz") { _, _ in
            let head = try backend.head()
            return jsonResponse(.object([("status", .string("ok")), ("head", .number(String(head)))]), headers: [.cacheControl: "no-store"])
        }
        router.get("/metrics") { _, _ in
            refreshGauges()
            var bytes: [UInt8] = []
            backend.metrics.registry.emit(into: &bytes)
            return Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                            body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
        }
        if let openAPI {
            router.get("/openapi.yaml") { _, _ in
                Response(status: .ok, headers: [.contentType: "application/yaml"], body: .init(byteBuffer: ByteBuffer(bytes: openAPI)))
            }
        }
    }

    static func seconds(_ d: Duration) -> Double {
        Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18
    }

    func refreshGauges() {
        let m = backend.metrics
        let (transactions, events) = backend.ledger.ledger.groupCommitCounters
        m.groupCommitTransactions.set(Int64(transactions))
        m.groupCommitEvents.set(Int64(events))
        m.groupCommitMeanBatch.set(transactions > 0 ? Double(events) / Double(transactions) : 0)
        if let rankings = backend.rankingCache.current {
            m.rankingSeconds.set(Self.seconds(rankings.took))
            m.rankingAge.set(Self.seconds(ContinuousClock.now - rankings.computedAt))
        }
        if let head = try? backend.head() {
            m.ledgerHead.set(Int64(head))
            let folded = (try? backend.models.checkpointSequence(CustomerSummaryProjector())) ?? nil
            m.projectionLag.set(Int64(head - min(head, folded ?? 0)))
        }
    }
}
