@_spi(Benchmarks) import CustomerEvents
import Ledger
import LedgerJSON
import SyntheticChain

/// The catalog's measurements: schema validation, and what sealing personal data costs appends.
struct CatalogBenchmarks {
    let ledgers: LedgerBenchmarks

    /// A realistic mix of events from the synthetic chain (about one in seven carries personal data).
    static func workload(events: Int) -> [JSONValue] {
        var p = ChainParameters()
        p.customers = max(10, events / 9)
        p.days = 365
        p.seed = 42
        var out: [JSONValue] = []
        out.reserveCapacity(events)
        ChainGenerator(p).run { if out.count < events { out.append($0) } }
        return out
    }

    /// JSON text in, checked envelope and payload out (parse + envelope + schema), on one core.
    func validate(lines: [[UInt8]]) throws -> Measurement {
        let catalog = SchemaCatalog.builtIn
        let dummy = try ledgers.freshLedger("validate", durable: false)
        defer { ledgers.dispose(dummy) }
        let keys = try KeyStore(ledgerPath: dummy.path, masterKey: nil)
        defer { keys.close() }
        let checker = CustomerLedger(ledger: dummy, keys: keys, catalog: catalog)
        var ok = 0
        let start = Clock.seconds()
        for line in lines {
            let doc = try line.withUnsafeBufferPointer { try JSONParser.parse($0) }
            if (try? checker.check(doc)) != nil { ok += 1 }
        }
        let seconds = Clock.seconds() - start
        guard ok == lines.count else { throw LedgerError.io(path: "validate", reason: "\(lines.count - ok) generated events failed validation") }
        return Measurement(name: "validate", events: lines.count, batch: 0, seconds: seconds, detail: "JSON text → checked event, one core")
    }

    /// Durable appends of the same events through the catalog, with personal fields sealed or not.
    func append(_ docs: [JSONValue], sealing: Bool, batch: Int, masterKey: MasterKey) throws -> Measurement {
        let ledger = try ledgers.freshLedger(sealing ? "sealed" : "plain")
        defer { ledgers.dispose(ledger) }
        let keys = try KeyStore(ledgerPath: ledger.path, masterKey: masterKey)
        defer { keys.close() }
        let catalog = CustomerLedger(ledger: ledger, keys: keys)
        var sealed = 0
        let start = Clock.seconds()
        var i = 0
        while i < docs.count {
            let chunk = Array(docs[i..<min(docs.count, i + batch)])
            let prepared = catalog.prepare(chunk, sealing: sealing)
            var events: [NewEvent] = []
            events.reserveCapacity(prepared.count)
            for p in prepared {
                let e = try p.get()
                if sealing, e.payload.count > 10, e.payload.contains(UInt8(ascii: "_")) { sealed += 1 }
                events.append(e)
            }
            for r in ledger.appendAndWait(events) { _ = try r.get() }
            i += batch
        }
        let seconds = Clock.seconds() - start
        return Measurement(name: sealing ? "append-sealed" : "append-unsealed", events: docs.count, batch: batch, seconds: seconds,
                           detail: sealing ? "\(sealed) events with personal fields sealed" : "same events, personal fields left plain")
    }
}
