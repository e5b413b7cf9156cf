// The C edge: only the LMDB target imports this module.
#include <lmdb.h>

// Asks the CPU to start loading the cache lines of [p, p + n) before they are read.
static inline void clmdb_prefetch(const void *p, unsigned long n) {
    for (unsigned long i = 0; i < n; i += 64) __builtin_prefetch((const char *)p + i, 0, 0);
}

#include <malloc.h>

// Hands the free pages of every malloc arena back to the system (glibc's malloc_trim).
static inline void clmdb_release_free_heap(void) { malloc_trim(0); }
