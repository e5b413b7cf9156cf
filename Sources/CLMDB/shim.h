// The C edge: only the LMDB target imports this module.
#include <lmdb.h>

// Asks the CPU to start loading the cache lines of [p, p + n) before they are read.
static inline void clmdb_prefetch(const void *p, unsigned long n) {
    for (unsigned long i = 0; i < n; i += 64) __builtin_prefetch((const char *)p + i, 0, 0);
}

#include <malloc.h>

// Hands the free pages of every malloc arena back to the system (glibc's malloc_trim).
static inline void clmdb_release_free_heap(void) { malloc_trim(0); }

#include <sys/syscall.h>
#include <unistd.h>

// Starts writing the file's dirty pages back to disk without waiting for them
// (sync_file_range(fd, 0, 0, SYNC_FILE_RANGE_WRITE), through syscall: glibc declares it only
// under _GNU_SOURCE). Returns 0, or -1 with errno set.
static inline int clmdb_start_writeback(int fd) { return (int)syscall(SYS_sync_file_range, fd, (long)0, (long)0, 2U); }
