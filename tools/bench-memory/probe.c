/* The machine's memory, measured the way a rebuild uses it: what a read model's fold can hope
 * for at best, beside `clientele rebuild`. Built and run by tools/bench-memory/run.
 *
 * 1. First touch: the kernel zeroes every page of fresh anonymous memory when it is first written
 *    (and a virtual machine's host may have to back it first); a rebuild's tables are ~1 GB.
 * 2. Random record updates: one event updates `lines` cache lines of a 784-byte record (a
 *    customer summary and a loyalty account) among a million, at random, with and without
 *    the records prefetched 16 events ahead (what the fold does).
 * 3. The same updates grouped by record address in chunks of events (a stable partition by the
 *    record's 3 MB window): what a fold that buffered `chunk` events would gain in locality.
 */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec * 1e-9;
}

enum { RECORD = 784, RECORDS = 1000000, EVENTS = 10000000, AHEAD = 16 };

static uint64_t update(char *table, const uint32_t *slots, size_t n, int lines, int ahead) {
    uint64_t sum = 0;
    for (size_t i = 0; i < n; i++) {
        if (ahead) {
            char *q = table + (size_t)slots[i + ahead < n ? i + ahead : i] * RECORD;
            for (int l = 0; l < lines; l++) __builtin_prefetch(q + 64 * l, 1, 3);
        }
        char *p = table + (size_t)slots[i] * RECORD;
        for (int l = 0; l < lines; l++) { p[64 * l]++; sum += (uint8_t)p[64 * l + 8]; }
    }
    return sum;
}

int main(void) {
    size_t size = (size_t)RECORD * RECORDS;
    char *table = mmap(0, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (table == MAP_FAILED) { perror("mmap"); return 1; }
    madvise(table, size, MADV_HUGEPAGE);
    double mb = (double)size / (1 << 20), t = now();
    memset(table, 1, size);
    double first = now() - t;
    t = now();
    memset(table, 2, size);
    double second = now() - t;
    printf("{\"probe\":\"first-touch\",\"mb\":%.0f,\"seconds\":%.3f,\"ms_per_mb\":%.3f,\"rewrite_ms_per_mb\":%.3f}\n",
           mb, first, first * 1000 / mb, second * 1000 / mb);

    uint32_t *slots = malloc(sizeof(uint32_t) * EVENTS), *grouped = malloc(sizeof(uint32_t) * EVENTS);
    uint64_t x = 88172645463325252ull, sink = 0;
    for (size_t i = 0; i < EVENTS; i++) { x ^= x << 13; x ^= x >> 7; x ^= x << 17; slots[i] = (uint32_t)(x % RECORDS); }
    for (int lines = 2; lines <= 8; lines *= 2) {
        for (int ahead = 0; ahead <= AHEAD; ahead += AHEAD) {
            t = now();
            sink += update(table, slots, EVENTS, lines, ahead);
            printf("{\"probe\":\"random\",\"lines\":%d,\"prefetch_ahead\":%d,\"ns_per_event\":%.1f}\n", lines, ahead, (now() - t) * 1e9 / EVENTS);
        }
    }
    size_t chunks[] = {131072, 1048576, EVENTS};
    for (int lines = 4; lines <= 8; lines *= 2) {
        for (int c = 0; c < 3; c++) {
            size_t chunk = chunks[c];
            t = now();
            for (size_t base = 0; base < EVENTS; base += chunk) {
                size_t n = base + chunk < EVENTS ? chunk : EVENTS - base, at[257] = {0};
                const uint32_t *from = slots + base;
                uint32_t *to = grouped + base;
                for (size_t i = 0; i < n; i++) at[(from[i] >> 12) + 1]++;
                for (int b = 0; b < 256; b++) at[b + 1] += at[b];
                for (size_t i = 0; i < n; i++) to[at[from[i] >> 12]++] = from[i];
                sink += update(table, to, n, lines, AHEAD);
            }
            printf("{\"probe\":\"grouped\",\"lines\":%d,\"chunk_events\":%zu,\"ns_per_event\":%.1f}\n", lines, chunk, (now() - t) * 1e9 / EVENTS);
        }
    }
    fprintf(stderr, "(checksum %llu)\n", (unsigned long long)(sink & 1));
    return 0;
}
