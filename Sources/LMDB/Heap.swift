import CLMDB

/// The process's malloc heap, beside the map: LMDB keeps a transaction's changed pages in memory
/// of its own until the commit (and keeps the buffers for the next), the rest is the program's.
public enum Heap {
    /// Hands the free pages of every malloc arena back to the system (glibc's `malloc_trim(0)`).
    ///
    /// glibc gives each thread an arena and keeps what is freed in it for that arena's next
    /// allocations: memory one thread allocates and another frees stays resident, and another
    /// thread's allocations cannot use it. For bulk loads whose stages run on different threads.
    /// - Complexity: O(free chunks); a few milliseconds.
    public static func releaseFreePages() {
        clmdb_release_free_heap()
    }
}
