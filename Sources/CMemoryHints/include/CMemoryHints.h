#ifndef CMEMORYHINTS_H
#define CMEMORYHINTS_H

/// Starts loading the cache line holding `p` (for reading, kept in every cache level): a hint
/// for folds that know which scattered records the next events touch. Never faults.
static inline void clientele_prefetch(const void *p) { __builtin_prefetch(p, 0, 3); }

/// The same, for a line about to be written.
static inline void clientele_prefetch_write(const void *p) { __builtin_prefetch(p, 1, 3); }

/// Moves (or extends in place) an anonymous mapping of `old_size` bytes to `new_size` bytes
/// without copying its pages: `mremap` with MREMAP_MAYMOVE (a variadic C function, which Swift
/// cannot call). Returns the new address, or NULL when the kernel refuses (errno says why).
void *clientele_grow_mapping(void *p, unsigned long old_size, unsigned long new_size);

#endif
