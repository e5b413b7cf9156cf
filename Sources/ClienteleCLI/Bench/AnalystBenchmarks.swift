import Audit
import Backup
import CustomerEvents
import Ledger
import LedgerJSON
import Replay
#if canImport(Glibc)
import Glibc
#endif

/// The analyst and compliance measurements: replay to JSON Lines, one customer's audit, backup beside `cp`.
struct AnalystBenchmarks {
    let ledgers: LedgerBenchmarks

    /// The catalog's view of a ledger, with a fresh master key (the bench's events carry no sealed data).
    func customerLedger(_ ledger: Ledger, key: MasterKey) throws -> CustomerLedger {
        CustomerLedger(ledger: ledger, keys: try KeyStore(ledgerPath: ledger.path, masterKey: key))
    }

    /// `replay --events` pseudonymous to JSON Lines over the whole ledger, written to /dev/null.
    func replay(_ ledger: CustomerLedger, events: Int, key: MasterKey) throws -> Measurement {
        let devNull = open("/dev/null", O_WRONLY | O_CLOEXEC)
        defer { close(devNull) }
        var replay = EventReplay(ledger: ledger, filter: ReplayFilter(), format: .jsonl, pseudonyms: CustomerPseudonyms(masterKey: key))
        var bytes = 0
        let cpuStart = AnalystBenchmarks.cpuSeconds()
        let start = Clock.seconds()
        let outcome = try replay.run(sink: { chunk in
            bytes += chunk.count
            return write(devNull, chunk.baseAddress, chunk.count) == chunk.count
        })
        let seconds = Clock.seconds() - start
        let cpu = AnalystBenchmarks.cpuSeconds() - cpuStart
        precondition(outcome.events == events, "replay wrote \(outcome.events) of \(events) events")
        return Measurement(name: "replay", events: events, batch: 0, seconds: seconds,
                           detail: "pseudonymous JSON Lines, \(Format.bytes(bytes)) to /dev/null, \(Format.fixed(Double(bytes) / seconds / 1_048_576, 0)) MiB/s; CPU \(Format.fixed(cpu, 3)) s = \(Format.grouped(Int(Double(events) / max(cpu, 1e-9)))) events per CPU-second",
                           extra: [("bytes", String(bytes)), ("cpu_seconds", Format.fixed(cpu, 6))])
    }

    /// A ledger holding `others` events of other customers and one customer with 1,000 events
    /// of the catalog (registration, visits, purchases, complaints, callbacks, care contacts),
    /// their personal fields sealed as in production.
    func auditLedger(others: Int, key: MasterKey) throws -> (Ledger, CustomerLedger) {
        let ledger = try ledgers.filledLedger(events: others)
        return try ledgers.disposing(ledger) {
            let customers = try customerLedger(ledger, key: key)
            do { return (ledger, try auditedCustomer(customers)) } catch {
                customers.keys.close()
                throw error
            }
        }
    }

    /// Appends the audited customer's 1,000 events to `customers`.
    private func auditedCustomer(_ customers: CustomerLedger) throws -> CustomerLedger {
        var docs: [JSONValue] = []
        var t: Int64 = 1_767_225_600_000_000
        func doc(_ type: String, _ payload: [(String, JSONValue)]) -> JSONValue {
            t += 3_600_000_000
            return .object([("type", .string(type)), ("customer", .string("C-AUDIT")), ("store", .string("S1")), ("actor", .string("staff-7")),
                            ("channel", .string("counter")), ("occurredAt", .string(Timestamp(microseconds: t, offsetMinutes: 480).iso8601)),
                            ("payload", .object(payload))])
        }
        docs.append(doc("CustomerRegistered", [("name", .string("王小明")), ("phone", .string("13800138000")), ("ageBand", .string("30-39"))]))
        for i in 1..<1_000 {
            switch i % 4 {
            case 0:
                docs.append(doc("PurchaseRecorded", [("receipt", .string("R\(i)")), ("lines", .array([.object([("sku", .string("SKU-\(i % 40)")),
                    ("name", .string("Item \(i % 40)")), ("category", .string("apparel")), ("quantity", .number("1")),
                    ("unitPrice", .object([("minor", .number("19900")), ("currency", .string("CNY"))]))])])),
                    ("total", .object([("minor", .number("19900")), ("currency", .string("CNY"))])), ("payment", .string("card"))]))
            case 1: docs.append(doc("VisitRecorded", [("kind", .string("walk-in")), ("note", .string("asked about the autumn collection, size M"))]))
            case 2: docs.append(doc("CallbackLogged", [("purpose", .string("purchase")), ("reached", .bool(true)), ("csat", .number("5")),
                                                       ("comment", .string("happy with the fitting service"))]))
            default: docs.append(doc("CareContactMade", [("kind", .string("coupon")), ("channel", .string("wechat")), ("outcome", .string("sent"))]))
            }
        }
        for r in customers.appendAndWait(docs) {
            if case .failure(let e) = r { throw BenchFailure("cannot append the audited customer's events: \(e)") }
        }
        return customers
    }

    /// `audit customer`: one customer's 1,000 events read through the customer index, unsealed,
    /// and written as JSON Lines — the median of `samples` runs; the access record's durable
    /// append is timed apart.
    func auditCustomer(_ customers: CustomerLedger, samples: Int) throws -> Measurement {
        let trail = AuditTrail(ledger: customers)
        var times: [Double] = []
        var rows = 0
        var cpu: [Double] = []
        for _ in 0..<(samples + 3) {
            let cpuStart = AnalystBenchmarks.cpuSeconds()
            let start = Clock.seconds()
            let found = try trail.customer("C-AUDIT")
            var w = JSONWriter(capacity: 1 << 20)
            for row in found { row.write(into: &w); w.bytes.append(0x0A) }
            times.append(Clock.seconds() - start)
            cpu.append(AnalystBenchmarks.cpuSeconds() - cpuStart)
            rows = found.count
            precondition(w.bytes.count > 0)
        }
        times.removeFirst(3) // warm-up: the key unwrapped once, pages in cache
        cpu.removeFirst(3)
        times.sort()
        cpu.sort()
        let median = times[times.count / 2]
        let start = Clock.seconds()
        let access = AuditTrail.accessEvents(customers: [("C-AUDIT", "S1")], actor: "os:bench", purpose: "benchmark", endpoint: "clientele bench")
        _ = try customers.ledger.appendAndWait(access)[0].get()
        let append = Clock.seconds() - start
        return Measurement(name: "audit-customer", events: rows, batch: 0, seconds: median,
                           detail: "\(Format.fixed(median * 1000, 2)) ms median of \(samples), CPU \(Format.fixed(cpu[cpu.count / 2] * 1000, 2)) ms (min \(Format.fixed(times.first! * 1000, 2)), max \(Format.fixed(times.last! * 1000, 2))); recording the access: \(Format.fixed(append * 1000, 2)) ms (one durable commit)",
                           extra: [("milliseconds", Format.fixed(median * 1000, 3)), ("cpu_milliseconds", Format.fixed(cpu[cpu.count / 2] * 1000, 3)), ("access_append_milliseconds", Format.fixed(append * 1000, 3))])
    }

    /// `clientele backup` of `ledger` beside `cp` of the same files (then fsync, as backup does),
    /// alternated `runs` times; the medians and their ratio.
    func backup(_ ledger: Ledger, events: Int, runs: Int) throws -> Measurement {
        // The log, and the key store when replay (or anything else) made one: each copied to its own place,
        // as the backup writes them (two files named data.mdb cannot share one folder).
        let files = ["data.mdb"] + (access(ledger.path + "/keys/data.mdb", F_OK) == 0 ? ["keys/data.mdb"] : [])
        var size = 0
        for f in files { var st = stat(); stat(ledger.path + "/" + f, &st); size += Int(st.st_size) }
        var ours: [Double] = [], theirs: [Double] = []
        var written = 0
        for run in 0..<runs {
            // Beside the ledger's folder, so that neither copy lands inside what it copies; removed whatever happens.
            let target = ledger.path + ".backup-\(run)"
            let copy = ledger.path + ".cp-\(run)"
            defer { Files.removeTree(target); Files.removeTree(copy) }
            let start = Clock.seconds()
            let manifest = try LedgerBackup.take(db: ledger.path, to: target)
            ours.append(Clock.seconds() - start)
            written = manifest.bytes
            precondition(manifest.headSequence >= UInt64(events))
            Files.removeTree(target)

            mkdir(copy, 0o700)
            mkdir(copy + "/keys", 0o700)
            let cpStart = Clock.seconds()
            for f in files { try Self.run("/bin/cp", [ledger.path + "/" + f, copy + "/" + f]) }
            for f in files { let fd = open(copy + "/" + f, O_RDONLY); fsync(fd); close(fd) }
            theirs.append(Clock.seconds() - cpStart)
        }
        ours.sort(); theirs.sort()
        let b = ours[ours.count / 2], c = theirs[theirs.count / 2]
        let list = { (xs: [Double]) in xs.map { Format.fixed($0, 2) }.joined(separator: ", ") }
        return Measurement(name: "backup", events: events, batch: 0, seconds: b,
                           detail: "\(Format.bytes(size)) of files (\(Format.bytes(written)) written, compacted); cp + fsync \(Format.fixed(c, 2)) s; backup / cp = \(Format.fixed(b / c, 2)); runs backup \(list(ours)) s, cp \(list(theirs)) s",
                           extra: [("bytes", String(size)), ("cp_seconds", Format.fixed(c, 6)), ("ratio_to_cp", Format.fixed(b / c, 3))])
    }

    /// User and system CPU time of this process so far (to read a figure apart from other load on the cores).
    static func cpuSeconds() -> Double {
        var u = rusage()
        getrusage(0 /* RUSAGE_SELF */, &u)
        return Double(u.ru_utime.tv_sec + u.ru_stime.tv_sec) + Double(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6
    }

    /// Runs a program and waits for it; fails on a non-zero exit.
    static func run(_ path: String, _ arguments: [String]) throws {
        let argv: [UnsafeMutablePointer<CChar>?] = ([path] + arguments).map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var pid = pid_t()
        let rc = posix_spawn(&pid, path, nil, nil, argv, environ)
        guard rc == 0 else { throw BenchFailure("cannot run \(path): \(String(cString: strerror(rc)))") }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        guard status == 0 else { throw BenchFailure("\(path) \(arguments.joined(separator: " ")) failed (status \(status))") }
    }
}
