import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// Random bytes for keys and nonces, from the kernel's CSPRNG (/dev/urandom, the same source as
/// getrandom) eight kilobytes at a time instead of one system call per key or per sealed event.
/// Bytes are handed out once and never reused.
enum SecureRandom {
    private struct Pool: ~Copyable {
        var bytes = [UInt8](repeating: 0, count: 8192)
        var used = 8192
        var fd: Int32 = -1
    }
    private static let pool = Mutex(Pool())

    /// `count` fresh random bytes.
    static func bytes(_ count: Int) -> [UInt8] {
        pool.withLock { p in
            if p.used + count > p.bytes.count {
                if p.fd < 0 { p.fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC) }
                guard p.fd >= 0 else { fatalError("cannot open /dev/urandom: \(String(cString: strerror(errno)))") }
                var filled = 0
                while filled < p.bytes.count {
                    let fd = p.fd
                    let n = p.bytes.withUnsafeMutableBytes { read(fd, $0.baseAddress! + filled, $0.count - filled) }
                    if n > 0 { filled += n } else if n < 0 && errno != EINTR { fatalError("reading /dev/urandom failed: \(String(cString: strerror(errno)))") }
                }
                p.used = 0
            }
            defer { p.used += count }
            return Array(p.bytes[p.used..<(p.used + count)])
        }
    }
}
