#ifndef CMEMORYHINTS_H
#define CMEMORYHINTS_H

/// Starts loading the cache line holding `p` (for reading, kept in every cache level): a hint
/// for folds that know which scattered records the next events touch. Never faults.
static inline void clientele_prefetch(const void *p) { __builtin_prefetch(p, 0, 3); }

/// The same, for a line about to be written.
static inline void clientele_prefetch_write(const void *p) { __builtin_prefetch(p, 1, 3); }

#endif
