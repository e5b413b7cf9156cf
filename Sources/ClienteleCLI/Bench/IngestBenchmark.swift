import Backup
import LedgerJSON
import SyntheticChain
#if canImport(Glibc)
import Glibc
#endif

/// The POS ingest end to end, as a user runs it: `clientele ingest` in a child process on a UCI
/// Online Retail II export, into a fresh durable ledger — read, parse, validate, seal, encode,
/// index, hash, commit. The child is measured alone: wall time from spawn to exit, its peak
/// resident size (getrusage ru_maxrss, from wait4), and, sampled every 10 ms from
/// /proc/PID/status, the peaks of its private memory (RssAnon) and of its file-backed pages
/// (RssFile: the program's code and libraries, and the ledger file's pages mapped by LMDB —
/// page cache, which Linux maps 64 KiB at a time around each page read).
struct IngestBenchmark {
    /// Where the export and the ledgers go.
    let folder: String
    let keep: Bool

    /// The arguments `clientele ingest` needs for the synthetic chain's export.
    static let exportArguments = ["--store", "bench", "--timezone", "Asia/Shanghai", "--date-format", "mdy"]

    /// Writes a UCI export of at least `lines` data rows (whole receipts) from the synthetic chain.
    /// - Returns: the file and its data rows.
    func export(lines: Int) throws -> (path: String, rows: Int) {
        let path = folder + "/clientele-bench-ingest-\(getpid()).csv"
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        guard fd >= 0 else { throw BenchFailure("cannot write \(path): \(String(cString: strerror(errno)))") }
        var written = false
        defer {
            close(fd)
            if !written { unlink(path) }   // a half-written export is of no use to anyone
        }
        var parameters = ChainParameters()
        parameters.customers = max(100, lines * 2 / 9)   // about 4.5 purchase and return lines per customer a year
        parameters.days = 365
        parameters.seed = 7
        let writer = UCIExportWriter()
        var buffer = Array(UCIExportWriter.header.utf8)
        buffer.reserveCapacity(1 << 21)
        var rows = 0
        var ok = true
        ChainGenerator(parameters).run { event in
            guard rows < lines else { return }
            let bytes = writer.rows(for: event)
            guard !bytes.isEmpty else { return }
            for b in bytes where b == 0x0A { rows += 1 }
            buffer += bytes
            if buffer.count >= 1 << 20 { ok = ok && Output.write(buffer, to: fd); buffer.removeAll(keepingCapacity: true) }
        }
        ok = ok && Output.write(buffer, to: fd)
        guard ok else { throw BenchFailure("writing \(path) failed: \(String(cString: strerror(errno)))") }
        guard rows >= lines else { throw BenchFailure("the synthetic chain gave only \(rows) lines of the \(lines) asked for") }
        written = true
        return (path, rows)
    }

    /// Runs `clientele ingest ARGUMENTS FILE --json` in a child against a fresh ledger.
    func run(file: String, arguments: [String]) throws -> Measurement {
        let db = try temporaryFolder(in: folder, label: "ingest")
        defer { if !keep { Files.removeTree(db) } }
        let me = Self.executable()
        _ = try Self.spawn(me, ["init", "--db", db])
        let started = Clock.seconds()
        let child = try Self.spawn(me, ["ingest", "--db", db, "--json"] + arguments + [file])
        let seconds = Clock.seconds() - started
        guard child.status == 0 else {
            throw BenchFailure("clientele ingest exited with status \(child.status): \(String(decoding: child.output.prefix(400), as: UTF8.self))")
        }
        let summary = try child.output.withUnsafeBufferPointer { try JSONParser.parse($0) }
        let rows = Int(summary["rowsRead"]?.int64Value ?? 0)
        let events = Int(summary["eventsAppended"]?.int64Value ?? 0)
        let receipts = Int(summary["receipts"]?.int64Value ?? 0)
        let bytes = Int(summary["bytesRead"]?.int64Value ?? 0)
        var st = stat()
        let ledgerBytes = stat(db + "/data.mdb", &st) == 0 ? Int(st.st_size) : 0
        let mb = { (n: Int) in Double(n) / 1_048_576 }
        var m = Measurement(name: "ingest", events: rows, batch: 0, seconds: seconds,
                            detail: "\(Format.grouped(rows)) lines (\(Format.fixed(mb(bytes), 1)) MB) → \(Format.grouped(receipts)) receipts, "
                                + "\(Format.grouped(events)) events; peak memory \(Format.fixed(mb(child.maxRSS), 0)) MB (ru_maxrss), "
                                + "at most \(Format.fixed(mb(child.peakPrivate), 0)) MB private and \(Format.fixed(mb(child.peakFile), 0)) MB "
                                + "file-backed (code, and ledger pages mapped by LMDB); ledger \(Format.fixed(mb(ledgerBytes), 0)) MB")
        m.extra = [("lines_per_second", Format.fixed(Double(rows) / max(seconds, 1e-9), 0)),
                   ("events_appended", String(events)),
                   ("peak_rss_mb", Format.fixed(mb(child.maxRSS), 1)),
                   ("peak_private_mb", Format.fixed(mb(child.peakPrivate), 1)),
                   ("peak_file_mb", Format.fixed(mb(child.peakFile), 1)),
                   ("ledger_mb", Format.fixed(mb(ledgerBytes), 1))]
        return m
    }

    /// This executable (the child runs the same build).
    static func executable() -> String {
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let n = readlink("/proc/self/exe", &buffer, buffer.count - 1)
        return n > 0 ? String(decoding: buffer[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self) : CommandLine.arguments[0]
    }

    /// What a child did: exit status, standard output, peak memory.
    struct Child {
        var status: Int32
        var output: [UInt8]
        var maxRSS: Int
        var peakPrivate: Int
        var peakFile: Int
    }

    /// Runs `path arguments…` with standard error discarded, sampling its memory until it exits.
    static func spawn(_ path: String, _ arguments: [String]) throws -> Child {
        var pipeFDs: [Int32] = [0, 0]
        guard pipe(&pipeFDs) == 0 else { throw BenchFailure("pipe: \(String(cString: strerror(errno)))") }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, pipeFDs[1], STDOUT_FILENO)
        posix_spawn_file_actions_addclose(&actions, pipeFDs[0])
        posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, "/dev/null", O_WRONLY, 0)
        let argv: [UnsafeMutablePointer<CChar>?] = ([path] + arguments).map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var pid = pid_t()
        let rc = posix_spawn(&pid, path, &actions, nil, argv, environ)
        close(pipeFDs[1])
        guard rc == 0 else { close(pipeFDs[0]); throw BenchFailure("cannot run \(path): \(String(cString: strerror(rc)))") }
        // Read the output on another thread, so a full pipe never blocks the child.
        let reader = OutputReader(fd: pipeFDs[0])
        reader.start()
        var status: Int32 = 0
        var usage = rusage()
        var peakPrivate = 0, peakFile = 0
        while true {
            let done = wait4(pid, &status, WNOHANG, &usage)
            if done == pid { break }
            if done < 0 && errno != EINTR { throw BenchFailure("wait4: \(String(cString: strerror(errno)))") }
            if let (anon, file) = residentSizes(pid) {
                peakPrivate = max(peakPrivate, anon)
                peakFile = max(peakFile, file)
            }
            usleep(10_000)
        }
        let output = reader.finish()
        let exit = (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
        return Child(status: exit, output: output, maxRSS: Int(usage.ru_maxrss) * 1024, peakPrivate: peakPrivate, peakFile: peakFile)
    }

    /// RssAnon and RssFile of a process, in bytes, from /proc/PID/status.
    static func residentSizes(_ pid: pid_t) -> (Int, Int)? {
        let fd = open("/proc/\(pid)/status", O_RDONLY)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var buffer = [UInt8](repeating: 0, count: 4096)
        let n = read(fd, &buffer, buffer.count)
        guard n > 0 else { return nil }
        var anon: Int?, file: Int?
        for line in buffer[0..<n].split(separator: 0x0A) {
            let text = String(decoding: line, as: UTF8.self)
            let kb = Int(text.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first ?? "")
            if text.hasPrefix("RssAnon:") { anon = kb.map { $0 * 1024 } }
            if text.hasPrefix("RssFile:") { file = kb.map { $0 * 1024 } }
        }
        guard let anon, let file else { return nil }
        return (anon, file)
    }
}

/// Reads a file descriptor to its end on a thread of its own.
private final class OutputReader: @unchecked Sendable {
    // @unchecked Sendable: `bytes` is written by the reading thread only, and read after `pthread_join`.
    private let fd: Int32
    private var bytes: [UInt8] = []
    private var thread = pthread_t()

    init(fd: Int32) { self.fd = fd }

    func start() {
        let context = Unmanaged.passRetained(self).toOpaque()
        pthread_create(&thread, nil, { raw in
            let me = Unmanaged<OutputReader>.fromOpaque(raw!).takeRetainedValue()
            var chunk = [UInt8](repeating: 0, count: 65_536)
            while true {
                let n = read(me.fd, &chunk, chunk.count)
                if n < 0 && errno == EINTR { continue }
                if n <= 0 { break }
                me.bytes += chunk[0..<n]
            }
            return nil
        }, context)
    }

    func finish() -> [UInt8] {
        pthread_join(thread, nil)
        close(fd)
        return bytes
    }
}

/// A benchmark that could not be run, with why.
struct BenchFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
