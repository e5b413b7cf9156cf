#if canImport(Glibc)
import Glibc
#endif

/// How much of the ledger's file a long scan may keep mapped before it lets go of the pages.
///
/// A scan's resident size counts every page of the map it touched until they are released
/// (`Ledger.releaseMappedPages`). How many pages one touch maps is the kernel's choice: with the
/// page cache in small folios, releasing every 65,536 events kept a rebuild of 10.8M events
/// under 1.65 GB; once the same file was read back into the cache in large folios, each fault
/// mapped ~400 KB and the same rebuild peaked at 3.1 GB. So besides counting events the scan
/// looks, now and then, at what is actually mapped (`/proc/self/statm`: resident shared pages,
/// which for this process are the ledger's), and lets go when it passes the budget.
struct MappedFileBudget {
    /// Bytes of mapped file a scan may hold: 256 MB. `CLIENTELE_MAPPED_BUDGET_MB` overrides it.
    static let bytes: Int = {
        if let v = getenv("CLIENTELE_MAPPED_BUDGET_MB"), let n = Int(String(cString: v)), n > 0 { return n << 20 }
        return 256 << 20
    }()
    /// Events between two looks (one read of statm each: a few µs).
    static let checkEvery = 2_048

    private var sinceCheck = 0
    private let page = Int(sysconf(Int32(_SC_PAGESIZE)))

    /// Counts `events` more scanned; true when it is time to let go of the mapped pages.
    mutating func exceeded(after events: Int = 1) -> Bool {
        sinceCheck += events
        guard sinceCheck >= Self.checkEvery else { return false }
        sinceCheck = 0
        return Self.residentShared(page: page) > Self.bytes
    }

    /// Resident shared (file-backed) bytes of this process, or 0 when statm cannot be read.
    static func residentShared(page: Int) -> Int {
        let fd = open("/proc/self/statm", O_RDONLY)
        guard fd >= 0 else { return 0 }
        defer { close(fd) }
        var buffer = [UInt8](repeating: 0, count: 128)
        let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, 127) }
        guard n > 0 else { return 0 }
        // size resident shared text lib data dt
        let fields = buffer[0..<n].split(separator: 0x20)
        guard fields.count >= 3, let shared = Int(String(decoding: fields[2], as: UTF8.self)) else { return 0 }
        return shared * page
    }
}
