/* The sampled blocks still live: an open-addressing table of addresses (linear probing, 0 is
 * empty). Inserts and deletes, one per sampled block, take a lock; a free looks its address up
 * without one, under a sequence count that is odd while a delete moves entries back and changes
 * when it is done, so a lookup that raced one looks again. Most frees are of blocks never
 * sampled and while none is live they cost one load. */
#include <pthread.h>
#include <stdatomic.h>
#include <sys/mman.h>

#include "sampler_parts.h"

#define TABLE_BITS 20
#define TABLE_SLOTS ((size_t)1 << TABLE_BITS)
#define TABLE_MAX_LIVE (TABLE_SLOTS / 2)

static _Atomic(uintptr_t) *table; /* mapped at the first insert, pages touched as used */
static atomic_uint table_seq;
atomic_size_t table_live;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

static size_t slot_of(uintptr_t p) { return (size_t)(((uint64_t)p >> 4) * 0x9E3779B97F4A7C15ull >> (64 - TABLE_BITS)); }
static size_t next_slot(size_t i) { return (i + 1) & (TABLE_SLOTS - 1); }

void table_lock(void) { pthread_mutex_lock(&lock); }
void table_unlock(void) { pthread_mutex_unlock(&lock); }

int table_insert(uintptr_t p) {
    int kept = 0;
    pthread_mutex_lock(&lock);
    if (!table) {
        void *m = mmap(NULL, TABLE_SLOTS * sizeof *table, PROT_READ | PROT_WRITE,
                       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
        if (m != MAP_FAILED) table = m;
    }
    if (table && atomic_load_explicit(&table_live, memory_order_relaxed) < TABLE_MAX_LIVE) {
        size_t i = slot_of(p);
        while (atomic_load_explicit(&table[i], memory_order_relaxed)) i = next_slot(i);
        atomic_store_explicit(&table[i], p, memory_order_release);
        atomic_fetch_add_explicit(&table_live, 1, memory_order_release);
        kept = 1;
    }
    pthread_mutex_unlock(&lock);
    return kept;
}

/* Under the lock: removes p and moves back the entries after it whose home slot lies at or
 * before the hole, so that every entry stays reachable from its home without tombstones. */
static int remove_locked(uintptr_t p) {
    size_t i = slot_of(p);
    for (;;) {
        const uintptr_t v = atomic_load_explicit(&table[i], memory_order_relaxed);
        if (!v) return 0;
        if (v == p) break;
        i = next_slot(i);
    }
    atomic_fetch_add_explicit(&table_seq, 1, memory_order_acq_rel);
    size_t hole = i;
    for (size_t j = next_slot(hole);; j = next_slot(j)) {
        const uintptr_t v = atomic_load_explicit(&table[j], memory_order_relaxed);
        if (!v) break;
        const size_t home = slot_of(v);
        const int stays = hole <= j ? (home > hole && home <= j) : (home > hole || home <= j);
        if (stays) continue;
        atomic_store_explicit(&table[hole], v, memory_order_relaxed);
        hole = j;
    }
    atomic_store_explicit(&table[hole], 0, memory_order_relaxed);
    atomic_fetch_sub_explicit(&table_live, 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&table_seq, 1, memory_order_acq_rel);
    return 1;
}

static int holds(uintptr_t p) {
    for (;;) {
        const unsigned before = atomic_load_explicit(&table_seq, memory_order_acquire);
        if (before & 1) continue;
        int found = 0;
        for (size_t i = slot_of(p);; i = next_slot(i)) {
            const uintptr_t v = atomic_load_explicit(&table[i], memory_order_acquire);
            if (!v) break;
            if (v == p) {
                found = 1;
                break;
            }
        }
        atomic_thread_fence(memory_order_acquire);
        if (atomic_load_explicit(&table_seq, memory_order_relaxed) == before) return found;
    }
}

int table_release_slow(uintptr_t p) {
    if (!holds(p)) return 0;
    pthread_mutex_lock(&lock);
    const int was = remove_locked(p);
    pthread_mutex_unlock(&lock);
    return was;
}

void table_forget(void) {
    if (table) munmap((void *)table, TABLE_SLOTS * sizeof *table);
    table = NULL;
    atomic_store(&table_live, 0);
    atomic_store(&table_seq, 0);
}
