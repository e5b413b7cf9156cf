#if canImport(Glibc)
import Glibc
#endif

/// The few file operations backup and restore need, on Glibc, each failing with the path.
/// `removeTree` is public: `clientele bench` removes its temporary ledgers with it too.
public enum Files {
    static func exists(_ path: String) -> Bool { access(path, F_OK) == 0 }

    static func isDirectory(_ path: String) -> Bool {
        var st = stat()
        return stat(path, &st) == 0 && st.st_mode & S_IFMT == S_IFDIR
    }

    static func size(_ path: String) -> Int {
        var st = stat()
        return stat(path, &st) == 0 ? Int(st.st_size) : 0
    }

    static func reason() -> String { String(cString: strerror(errno)) }

    /// Creates `path` and its missing parents, owner-only.
    static func makeFolder(_ path: String) throws(BackupError) {
        var partial = path.hasPrefix("/") ? "" : "."
        for component in path.split(separator: "/") {
            partial += "/" + component
            if mkdir(partial, 0o700) != 0 && errno != EEXIST { throw .io(path: partial, reason: reason()) }
        }
    }

    /// Whether `path` is a symbolic link (not what it points to).
    static func isSymbolicLink(_ path: String) -> Bool {
        var st = stat()
        return lstat(path, &st) == 0 && st.st_mode & S_IFMT == S_IFLNK
    }

    /// The names in a folder, without `.` and `..`; empty when it cannot be read.
    static func entries(_ path: String) -> [String] {
        guard let dir = opendir(path) else { return [] }
        defer { closedir(dir) }
        return names(in: dir)
    }

    /// The names `readdir` gives for an open folder, without `.` and `..`.
    private static func names(in dir: OpaquePointer) -> [String] {
        var names: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(cString: $0.bindMemory(to: CChar.self).baseAddress!) }
            if name != "." && name != ".." { names.append(name) }
        }
        return names
    }

    /// Removes `path` and everything under it, as `rm -rf` does, never following a symbolic link:
    /// a link, to a folder or to anything else, is removed itself and what it points to stays, so
    /// nothing outside the tree is touched. Each folder is opened with `O_NOFOLLOW` and its entries
    /// are looked at (`fstatat`, `AT_SYMLINK_NOFOLLOW`) and removed (`unlinkat`) relative to it, so
    /// a folder swapped for a link meanwhile is not followed either.
    ///
    /// - Returns: false when something could not be removed (it goes on with the rest); true when
    ///   `path` is gone, also when it was not there to begin with.
    /// - Complexity: one open folder per level of depth.
    @discardableResult
    public static func removeTree(_ path: String) -> Bool {
        var st = stat()
        guard lstat(path, &st) == 0 else { return errno == ENOENT }
        guard st.st_mode & S_IFMT == S_IFDIR else { return unlink(path) == 0 || errno == ENOENT }
        let emptied = removeEntries(ofFolder: open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC))
        return rmdir(path) == 0 && emptied
    }

    /// Removes everything in the folder open as `fd` (closed when done), relative to it.
    private static func removeEntries(ofFolder fd: Int32) -> Bool {
        guard fd >= 0 else { return false }
        guard let dir = fdopendir(fd) else { close(fd); return false }
        defer { closedir(dir) }  // closes fd too
        var removed = true
        for name in names(in: dir) {
            var st = stat()
            guard fstatat(fd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 else { removed = removed && errno == ENOENT; continue }
            if st.st_mode & S_IFMT == S_IFDIR {
                let emptied = removeEntries(ofFolder: openat(fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC))
                removed = unlinkat(fd, name, AT_REMOVEDIR) == 0 && emptied && removed
            } else if unlinkat(fd, name, 0) != 0 && errno != ENOENT {
                removed = false
            }
        }
        return removed
    }

    /// Flushes a file (or folder) to disk.
    static func sync(_ path: String) throws(BackupError) {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw .io(path: path, reason: reason()) }
        defer { close(fd) }
        guard fsync(fd) == 0 else { throw .io(path: path, reason: "fsync: " + reason()) }
    }

    /// Copies a file's bytes to a new file (mode 0600) and flushes it.
    @discardableResult
    static func copy(_ from: String, to: String) throws(BackupError) -> Int {
        let input = open(from, O_RDONLY | O_CLOEXEC)
        guard input >= 0 else { throw .io(path: from, reason: reason()) }
        defer { close(input) }
        let output = open(to, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard output >= 0 else { throw .io(path: to, reason: reason()) }
        defer { close(output) }
        return try copyByReading(input, output, from: from, to: to)
    }

    private static func copyByReading(_ input: Int32, _ output: Int32, from: String, to: String) throws(BackupError) -> Int {
        var buffer = [UInt8](repeating: 0, count: 4 << 20)
        var total = 0
        while true {
            let n = buffer.withUnsafeMutableBytes { Glibc.read(input, $0.baseAddress!, $0.count) }
            if n < 0 { if errno == EINTR { continue }; throw .io(path: from, reason: reason()) }
            if n == 0 { break }
            var offset = 0
            while offset < n {
                let w = buffer.withUnsafeBytes { Glibc.write(output, $0.baseAddress! + offset, n - offset) }
                if w < 0 { if errno == EINTR { continue }; throw .io(path: to, reason: reason()) }
                offset += w
            }
            total += n
        }
        guard fsync(output) == 0 else { throw .io(path: to, reason: "fsync: " + reason()) }
        return total
    }

    /// Writes `bytes` to a new file (mode 0600) and flushes it.
    static func write(_ bytes: [UInt8], to path: String) throws(BackupError) {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw .io(path: path, reason: reason()) }
        defer { close(fd) }
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress! + offset, bytes.count - offset) }
            if n < 0 { if errno == EINTR { continue }; throw .io(path: path, reason: reason()) }
            offset += n
        }
        guard fsync(fd) == 0 else { throw .io(path: path, reason: "fsync: " + reason()) }
    }

    /// A whole (small) file's bytes.
    static func read(_ path: String) throws(BackupError) -> [UInt8] {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw .io(path: path, reason: reason()) }
        defer { close(fd) }
        var out: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let n = buffer.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress!, $0.count) }
            if n < 0 { if errno == EINTR { continue }; throw .io(path: path, reason: reason()) }
            if n == 0 { return out }
            out += buffer[0..<n]
        }
    }
}
