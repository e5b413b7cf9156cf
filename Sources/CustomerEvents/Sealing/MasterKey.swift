import Crypto
#if canImport(Glibc)
import Glibc
#endif

/// The key that wraps every customer's data key. It never enters the ledger: it comes from the
/// environment (`CLIENTELE_MASTER_KEY`, base64 of 32 bytes) or a file (`CLIENTELE_MASTER_KEY_FILE`,
/// or the path given on the command line), made by `clientele keygen`.
public struct MasterKey: Sendable {
    let bytes: [UInt8]
    var key: SymmetricKey { SymmetricKey(data: bytes) }

    /// Why no master key could be had, in words that say what to do.
    public enum LoadError: Error, CustomStringConvertible, Sendable {
        case missing
        case unreadable(path: String, reason: String)
        case malformed(source: String)

        public var description: String {
            switch self {
            case .missing:
                return "personal data needs a master key: set CLIENTELE_MASTER_KEY_FILE to a key file (make one with `clientele keygen --out FILE`) or CLIENTELE_MASTER_KEY to its base64 text"
            case .unreadable(let path, let reason):
                return "cannot read the master key file \(path): \(reason)"
            case .malformed(let source):
                return "the master key from \(source) is not 32 bytes (raw, or base64 text): make a new one with `clientele keygen --out FILE`"
            }
        }
    }

    /// A key from 32 raw bytes.
    public init?(bytes: [UInt8]) {
        guard bytes.count == 32 else { return nil }
        self.bytes = bytes
    }

    /// A fresh random key.
    public static func generate() -> MasterKey { MasterKey(bytes: SecureRandom.bytes(32))! }

    /// The key's bytes as base64 text (what `keygen` writes).
    public var base64: String { Base64.encode(bytes) }

    /// Loads the key from `file` if given, else from the environment.
    public static func load(file: String? = nil, environment: [String: String] = ProcessEnvironment.all) throws(LoadError) -> MasterKey {
        if let path = file ?? environment["CLIENTELE_MASTER_KEY_FILE"] {
            let bytes = try readFile(path)
            if let key = parse(bytes) { return key }
            throw .malformed(source: path)
        }
        if let text = environment["CLIENTELE_MASTER_KEY"] {
            if let key = parse(Array(text.utf8)) { return key }
            throw .malformed(source: "CLIENTELE_MASTER_KEY")
        }
        throw .missing
    }

    /// 32 raw bytes, or base64 text of them (surrounding white space ignored).
    static func parse(_ bytes: [UInt8]) -> MasterKey? {
        if bytes.count == 32, let key = MasterKey(bytes: bytes) { return key }
        let text = String(decoding: bytes, as: UTF8.self).trimmingWhitespace()
        return Base64.decode(text).flatMap { MasterKey(bytes: $0) }
    }

    private static func readFile(_ path: String) throws(LoadError) -> [UInt8] {
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { throw .unreadable(path: path, reason: String(cString: strerror(errno))) }
        defer { close(fd) }
        var out = [UInt8](repeating: 0, count: 4096)
        let n = read(fd, &out, out.count)
        guard n >= 0 else { throw .unreadable(path: path, reason: String(cString: strerror(errno))) }
        return Array(out[0..<n])
    }

    /// Writes a new key to `path` as base64 text, readable by its owner only; refuses to overwrite.
    public func write(to path: String) throws(LoadError) {
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0o400)
        guard fd >= 0 else { throw .unreadable(path: path, reason: String(cString: strerror(errno)) + (errno == EEXIST ? " (it exists; keys are never overwritten)" : "")) }
        defer { close(fd) }
        let text = Array((base64 + "\n").utf8)
        guard Glibc.write(fd, text, text.count) == text.count, fsync(fd) == 0 else {
            throw .unreadable(path: path, reason: String(cString: strerror(errno)))
        }
    }
}

extension String {
    func trimmingWhitespace() -> String {
        var s = Substring(self)
        while let f = s.first, f.isWhitespace { s = s.dropFirst() }
        while let l = s.last, l.isWhitespace { s = s.dropLast() }
        return String(s)
    }
}

/// The process environment, read without Foundation.
public enum ProcessEnvironment {
    public static var all: [String: String] {
        var out: [String: String] = [:]
        var p = environ
        while let entry = p.pointee {
            let text = String(cString: entry)
            if let eq = text.firstIndex(of: "=") { out[String(text[..<eq])] = String(text[text.index(after: eq)...]) }
            p += 1
        }
        return out
    }
}
