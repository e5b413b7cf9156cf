#if canImport(Glibc)
import Glibc
#endif

/// Asks the kernel to back a rebuild's big tables (customer slots, record indexes, records) with
/// transparent huge pages. Each event touches a random customer's entries in them; with a million
/// customers they span hundreds of MB, and with 4 KB pages nearly every touch (and every prefetch)
/// also misses the TLB and walks the page tables. Only the 2 MB-aligned part of the range is
/// advised (large allocations are mapped by malloc on their own, so the advice stays on our memory).
/// An advice the kernel refuses (THP off) changes nothing but speed.
enum HugePages {
    static let size = 2 << 20

    /// Advises the whole 2 MB pages inside `bytes` bytes at `start`, before they are first touched.
    static func advise(_ start: UnsafeMutableRawPointer, bytes: Int) {
        guard bytes >= size else { return }
        let from = (Int(bitPattern: start) + size - 1) & ~(size - 1)
        let to = (Int(bitPattern: start) + bytes) & ~(size - 1)
        guard to > from, let p = UnsafeMutableRawPointer(bitPattern: from) else { return }
        _ = madvise(p, to - from, MADV_HUGEPAGE)
    }

    /// `count` values of `T`, huge-page advised when large.
    static func allocate<T>(_: T.Type, capacity count: Int) -> UnsafeMutablePointer<T> {
        let p = UnsafeMutablePointer<T>.allocate(capacity: count)
        advise(UnsafeMutableRawPointer(p), bytes: count * MemoryLayout<T>.stride)
        return p
    }
}
