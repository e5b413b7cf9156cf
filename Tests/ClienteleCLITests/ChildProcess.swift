import Foundation

/// The built `clientele` executable, run as a real child process.
enum ClienteleBinary {
    /// `$CLIENTELE_BIN`, or `clientele` beside the test bundle in the build folder.
    static var path: String {
        if let explicit = ProcessInfo.processInfo.environment["CLIENTELE_BIN"] { return explicit }
        let me = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        var dir = URL(fileURLWithPath: me).deletingLastPathComponent()
        // Swift Testing may run from inside the .xctest bundle folder.
        for _ in 0..<3 {
            let candidate = dir.appendingPathComponent("clientele").path
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
            dir = dir.deletingLastPathComponent()
        }
        return ".build/debug/clientele"
    }

    struct Output {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    /// Runs `clientele args…` with `input` on standard input and waits for it.
    /// `environment` adds to (or, with an empty value, removes from) the test's own environment.
    static func run(_ args: [String], input: String = "", environment: [String: String] = [:]) throws -> Output {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = args
        if !environment.isEmpty {
            var env = ProcessInfo.processInfo.environment
            for (k, v) in environment { env[k] = v.isEmpty ? nil : v }
            process.environment = env
        }
        let stdin = Pipe(), stdout = Pipe(), stderr = Pipe()
        process.standardInput = stdin
        process.standardOutput = stdout
        process.standardError = stderr
        try process.run()
        // Read both pipes while the child runs, so a full pipe never blocks it.
        let outData = LockedData(), errData = LockedData()
        let group = DispatchGroup()
        for (pipe, sink) in [(stdout, outData), (stderr, errData)] {
            group.enter()
            DispatchQueue.global().async {
                sink.set(pipe.fileHandleForReading.readDataToEndOfFile())
                group.leave()
            }
        }
        stdin.fileHandleForWriting.write(Data(input.utf8))
        try stdin.fileHandleForWriting.close()
        process.waitUntilExit()
        group.wait()
        return Output(status: process.terminationStatus,
                      stdout: String(decoding: outData.get(), as: UTF8.self),
                      stderr: String(decoding: errData.get(), as: UTF8.self))
    }
}

final class LockedData: @unchecked Sendable {
    // @unchecked Sendable: guarded by `lock`.
    private let lock = NSLock()
    private var data = Data()
    func set(_ d: Data) { lock.lock(); data = d; lock.unlock() }
    func append(_ d: Data) { lock.lock(); data.append(d); lock.unlock() }
    func get() -> Data { lock.lock(); defer { lock.unlock() }; return data }
}

/// A fresh folder for one test, removed with everything in it.
struct TempFolder {
    let path: String
    init(_ label: String) throws {
        path = NSTemporaryDirectory() + "clientele-cli-\(label)-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }
    func remove() { try? FileManager.default.removeItem(atPath: path) }
}

/// A temporary folder with a new master key in it and, when `generate` names a chain, a ledger
/// holding `clientele generate`'s events: the start of every test that runs commands on a
/// filled ledger.
struct GeneratedLedger {
    let dir: TempFolder
    let db: String
    let key: String

    /// Thrown when the set-up itself fails, with what the command said.
    struct SetupFailure: Error, CustomStringConvertible { let description: String }

    init(_ label: String, generate arguments: [String] = []) throws {
        dir = try TempFolder(label)
        db = dir.path + "/ledger"
        key = dir.path + "/master.key"
        let keygen = try ClienteleBinary.run(["keygen", "--out", key])
        guard keygen.status == 0 else { throw SetupFailure(description: "keygen: \(keygen.stderr)") }
        guard !arguments.isEmpty else { return }
        let generated = try ClienteleBinary.run(["generate"] + arguments + ["--db", db, "--master-key-file", key])
        guard generated.status == 0 else { throw SetupFailure(description: "generate \(arguments): \(generated.stderr)") }
    }

    func remove() { dir.remove() }
}

/// One event as a JSON line, numbered so each line's event can be recognised later.
func eventLine(_ n: Int, customer: String? = nil, extra: String = "") -> String {
    """
    {"type":"VisitRecorded","customer":"\(customer ?? "C\(n % 97)")","store":"S\(n % 5)","actor":"staff-\(n % 11)","channel":"counter","occurredAt":"2026-11-23T10:15:00+08:00","source":"test","externalId":"line-\(n)","payload":{"kind":"walk-in","event":"visit \(n)"}\(extra)}
    """
}

extension ClienteleBinary {
    /// Runs `clientele args…` (output discarded) and gives its exit status and its peak resident
    /// size in KB. The child is started by a small python3 (which tools/test installs), whose
    /// `RUSAGE_CHILDREN` then holds that child's peak alone: a child spawned straight from this
    /// test process would count the test process's own resident size in its peak (the kernel
    /// carries the spawning memory's high-water mark across the exec).
    static func peakResident(_ args: [String], environment: [String: String] = [:]) throws -> (status: Int32, kilobytes: Int) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        let script = "import resource, subprocess, sys; code = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).returncode; "
            + "print(code, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)"
        process.arguments = ["python3", "-c", script, path] + args
        var env = ProcessInfo.processInfo.environment
        for (k, v) in environment { env[k] = v.isEmpty ? nil : v }
        process.environment = env
        let out = Pipe()
        process.standardOutput = out
        try process.run()
        let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        let fields = text.split(separator: " ").map { Int($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
        guard process.terminationStatus == 0, fields.count == 2, let code = fields[0], let kb = fields[1] else {
            throw POSIXError(.ECHILD, userInfo: [NSLocalizedDescriptionKey: "measuring a child's peak needs python3 (tools/test installs it); got '\(text)'"])
        }
        return (Int32(code), kb)
    }
}
