// The prefetch hints are inline functions (CMemoryHints.h); mremap needs _GNU_SOURCE.
#define _GNU_SOURCE
#include <sys/mman.h>
#include "CMemoryHints.h"

void *clientele_grow_mapping(void *p, unsigned long old_size, unsigned long new_size) {
    void *moved = mremap(p, old_size, new_size, MREMAP_MAYMOVE);
    return moved == MAP_FAILED ? 0 : moved;
}
