import CMemoryHints
#if canImport(Glibc)
import Glibc
#endif

/// Memory for a rebuild's tables that only ever grow (the records of a million customers): a
/// mapping of their own, huge-page advised, that grows by `mremap`. Growing moves no byte: the
/// kernel extends the mapping or moves its page tables. Doubling a malloc'd buffer instead copied
/// every record into fresh pages each time, so the pages touched (and zeroed by the kernel) were
/// twice the table's final size, plus the copies.
///
/// Values in it must be movable bit for bit (Swift values are, unless they hold a weak
/// reference or are ~Copyable with an address that matters), and the memory is released with
/// `free`, never `deallocate`.
enum TableMemory {
    /// A transparent huge page: mappings at least this large are advised onto them. Each event
    /// touches a random customer's entries in the tables; with a million customers they span
    /// hundreds of MB, and with 4 KB pages nearly every touch (and every prefetch) would also
    /// miss the TLB and walk the page tables. (An advice the kernel refuses changes only speed.)
    static let hugePage = 2 << 20

    /// The bytes a mapping of `capacity` values of `T` takes (whole pages).
    static func bytes<T>(_: T.Type, capacity: Int) -> Int {
        let page = 4096
        return max(page, (capacity * MemoryLayout<T>.stride + page - 1) & ~(page - 1))
    }

    /// Room for `capacity` values of `T`, uninitialized (reads as zero bytes until written).
    static func allocate<T>(_: T.Type, capacity: Int) -> UnsafeMutablePointer<T> {
        let n = bytes(T.self, capacity: capacity)
        guard let p = mmap(nil, n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0), p != MAP_FAILED else {
            outOfMemory(asked: n)
        }
        if n >= hugePage { _ = madvise(p, n, MADV_HUGEPAGE) }
        return p.bindMemory(to: T.self, capacity: capacity)
    }

    /// The table at `p`, of `capacity` values, given room for `newCapacity`: the values stay as
    /// they are (at a new address, perhaps); the room added is uninitialized.
    static func grow<T>(_ p: UnsafeMutablePointer<T>, capacity: Int, to newCapacity: Int) -> UnsafeMutablePointer<T> {
        let old = bytes(T.self, capacity: capacity), new = bytes(T.self, capacity: newCapacity)
        guard new > old else { return p }
        guard let moved = clientele_grow_mapping(UnsafeMutableRawPointer(p), UInt(old), UInt(new)) else {
            outOfMemory(asked: new)
        }
        if new >= hugePage { _ = madvise(moved, new, MADV_HUGEPAGE) }
        return moved.bindMemory(to: T.self, capacity: newCapacity)
    }

    /// The exit status of a process stopped for want of memory (`EX_OSERR`).
    static let exitStatus: Int32 = 71

    /// Stops the process with a message that says what to do, when the kernel refuses a table
    /// its memory: a fold cannot go on without the records it folds into. Nothing stored is
    /// lost: a rebuild replaces the stored models only when complete, a catch-up writes them in
    /// one transaction, and an append not yet committed was never accepted. A plain exit, not a
    /// trap: the person at the terminal gets the message, not a crash report.
    static func outOfMemory(asked bytes: Int) -> Never {
        let reason = String(cString: strerror(errno))
        let message = """
            clientele: out of memory: a read model's fold asked for a table of \(max(1, bytes >> 20)) MB \
            and the system refused (\(reason)). Nothing stored was changed. Free memory (or raise \
            the process's limit, `ulimit -v`) and run the command again.

            """
        var rest = Array(message.utf8)[...]
        while !rest.isEmpty {
            let n = rest.withUnsafeBytes { write(2, $0.baseAddress, $0.count) }
            if n > 0 { rest = rest.dropFirst(n) } else if errno != EINTR { break }
        }
        exit(exitStatus)
    }

    /// Gives the table back to the kernel (its values must be deinitialized first).
    static func free<T>(_ p: UnsafeMutablePointer<T>, capacity: Int) {
        _ = munmap(UnsafeMutableRawPointer(p), bytes(T.self, capacity: capacity))
    }
}
