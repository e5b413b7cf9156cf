#if canImport(Glibc)
import Glibc
#endif

/// How much more of the ledger's file a long scan may keep mapped before it lets go of the pages
/// (a scan whose query `releasesMappedPages` and that reads through the map: the time index a view
/// as of a past time walks, or a fold told not to copy; the folds read the log's pages by copying
/// them, `EventQuery.copiesPages`).
///
/// A scan's resident size counts every page of the map it touched until they are released
/// (`Ledger.releaseMappedPages`). Those pages are the page cache's, shared and reclaimable, so
/// letting go saves no memory the system could not take back; it keeps the process's resident
/// size (what `time` and the rebuild's memory target measure) to what the fold holds itself, and
/// it costs time: the pages are mapped again when touched. Measured at 10.8M events, bounded,
/// `clientele events` took 9–16 % longer and `verify` (whose walks of the indexes jump about the
/// whole file) 1.9 times as long, 13 times as many faults; so those scans do not let go.
///
/// How many pages one touch maps is the kernel's choice: with the page cache in small folios,
/// releasing every 65,536 events kept a rebuild of 10.8M events under 1.65 GB; once the same file
/// was read back into the cache in large folios, each fault mapped ~400 KB and the same rebuild
/// peaked at 3.1 GB. So the scan looks, now and then, at what is actually mapped
/// (`/proc/self/statm`: resident shared pages, the ledger's and the program's own), and lets go
/// once that has grown past the budget since its first look or its last letting go. Relative, so
/// that a process already holding much of the file (a service after a while of 360 reads) does
/// not let go at every look: an as-of report in such a service took 13.4 s with an absolute
/// budget, 12.2 s with this one (both at 256 MB).
public struct MappedFileBudget {
    /// Bytes of mapped file a scan may add: 128 MB. `CLIENTELE_MAPPED_BUDGET_MB` overrides it.
    ///
    /// Chosen when the folds still read the log through the map: their other thread read events
    /// the scan had passed, so after a release it mapped some of them again, and a large folio
    /// maps whole; the file's part of a rebuild peaked near twice the budget. With 128 MB rather
    /// than 256 MB, the rebuild's and the as-of report's peaks came down by 80–150 MB at the same
    /// speed (BENCHMARKS.md, 2026-12-06 17:50 UTC).
    public static let bytes: Int = {
        if let v = getenv("CLIENTELE_MAPPED_BUDGET_MB"), let n = Int(String(cString: v)), n > 0 { return n << 20 }
        return 128 << 20
    }()
    /// Events between two looks (one read of statm each: a few µs).
    public static let checkEvery = 2_048

    private var sinceCheck = 0
    private var baseline: Int?
    private static let page = Int(sysconf(Int32(_SC_PAGESIZE)))

    /// A budget counted from what is mapped at its first look (a short scan never looks).
    public init() {}

    /// Counts `events` more scanned; true when it is time to let go of the mapped pages (then
    /// call `released()` once they are let go).
    public mutating func exceeded(after events: Int = 1) -> Bool {
        sinceCheck += events
        guard sinceCheck >= Self.checkEvery else { return false }
        sinceCheck = 0
        let now = Self.residentShared()
        guard let baseline else {
            baseline = now
            return false
        }
        return now - baseline > Self.bytes
    }

    /// The pages were let go: the budget counts from what is still mapped.
    public mutating func released() { baseline = Self.residentShared() }

    /// Resident shared (file-backed) bytes of this process, or 0 when statm cannot be read.
    static func residentShared() -> Int {
        let fd = open("/proc/self/statm", O_RDONLY)
        guard fd >= 0 else { return 0 }
        defer { close(fd) }
        var buffer = (UInt64(0), UInt64(0), UInt64(0), UInt64(0), UInt64(0), UInt64(0), UInt64(0), UInt64(0),
                      UInt64(0), UInt64(0), UInt64(0), UInt64(0), UInt64(0), UInt64(0), UInt64(0), UInt64(0))
        return withUnsafeMutableBytes(of: &buffer) { (b: UnsafeMutableRawBufferPointer) -> Int in
            let n = read(fd, b.baseAddress, b.count - 1)
            guard n > 0 else { return 0 }
            // "size resident shared text lib data dt"
            var field = 0, value = 0, i = 0
            while i < n {
                let c = b[i]
                if c == UInt8(ascii: " ") {
                    if field == 2 { break }
                    field += 1
                    value = 0
                } else if field == 2, c >= UInt8(ascii: "0"), c <= UInt8(ascii: "9") {
                    value = value * 10 + Int(c - UInt8(ascii: "0"))
                }
                i += 1
            }
            return field == 2 ? value * page : 0
        }
    }
}
