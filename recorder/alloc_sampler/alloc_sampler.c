/* kiln's allocation sampler, preloaded (LD_PRELOAD) into the command `kiln record --alloc-sample
 * BYTES` starts. It wraps malloc, calloc, realloc, free, posix_memalign, aligned_alloc and
 * memalign (each forwards to the next definition: libc's, or an allocator the program links),
 * and picks allocations by bytes, as tcmalloc's heap profiler does: the sample points fall on a
 * thread's stream of allocated bytes as a Poisson process of mean KILN_ALLOC_SAMPLE_MEAN bytes,
 * and an allocation holding a point is sampled. Only a sampled allocation calls
 * kiln_sampled_alloc(ptr, size, mean), and only the free of a sampled block calls
 * kiln_sampled_free(ptr): kiln puts its uprobes on those two, so a program traps into the kernel
 * once per ~mean bytes instead of at every call. The analyzer weighs each sampled block by
 * 1 / (1 - exp(-size / mean)) (analyzer/views/alloc_view.cpp).
 *
 * The sampled blocks still live are kept in an open-addressing table. Inserts and deletes (rare)
 * take a lock; a free looks its pointer up without one, under a sequence count that tells it to
 * look again when a delete moved entries meanwhile. Without KILN_ALLOC_SAMPLE_MEAN the wrappers
 * only forward. Nothing here allocates, so the wrappers never recurse, except dlsym's own
 * allocations while the next definitions are looked up: those come from a static buffer. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#define EXPORT __attribute__((visibility("default")))
#if defined(__clang__)
#define MARKER EXPORT __attribute__((noinline, used))
#else
#define MARKER EXPORT __attribute__((noipa, used))
#endif
#define TLS __thread __attribute__((tls_model("initial-exec")))
#define UNLIKELY(x) __builtin_expect(!!(x), 0)

/* The probed markers. Their arguments are what the uprobe reads from the registers. */
MARKER void kiln_sampled_alloc(void *ptr, size_t size, size_t mean) {
    __asm__ volatile("" : : "r"(ptr), "r"(size), "r"(mean) : "memory");
}
MARKER void kiln_sampled_free(void *ptr) { __asm__ volatile("" : : "r"(ptr) : "memory"); }

/* --- the next definitions, and the buffer dlsym allocates from while they are found --- */
static void *(*next_malloc)(size_t);
static void *(*next_calloc)(size_t, size_t);
static void *(*next_realloc)(void *, size_t);
static void (*next_free)(void *);
static int (*next_posix_memalign)(void **, size_t, size_t);
static void *(*next_aligned_alloc)(size_t, size_t);
static void *(*next_memalign)(size_t, size_t);

static _Alignas(16) char boot[64 * 1024];
static atomic_size_t boot_used;
static atomic_int resolving;

static int is_boot(const void *p) { return (const char *)p >= boot && (const char *)p < boot + sizeof boot; }

/* 16 bytes before each block hold its size (for realloc out of the buffer). */
static void *boot_alloc(size_t n) {
    const size_t need = ((n + 15) & ~(size_t)15) + 16;
    const size_t at = atomic_fetch_add(&boot_used, need);
    if (at + need > sizeof boot) return NULL;
    memcpy(boot + at, &n, sizeof n);
    return boot + at + 16;
}

static void resolve(void) {
    if (atomic_exchange(&resolving, 1)) return; /* a call from inside dlsym */
    next_calloc = (void *(*)(size_t, size_t))dlsym(RTLD_NEXT, "calloc");
    next_realloc = (void *(*)(void *, size_t))dlsym(RTLD_NEXT, "realloc");
    next_free = (void (*)(void *))dlsym(RTLD_NEXT, "free");
    next_posix_memalign = (int (*)(void **, size_t, size_t))dlsym(RTLD_NEXT, "posix_memalign");
    next_aligned_alloc = (void *(*)(size_t, size_t))dlsym(RTLD_NEXT, "aligned_alloc");
    next_memalign = (void *(*)(size_t, size_t))dlsym(RTLD_NEXT, "memalign");
    /* Last: a wrapper takes a non-null next_malloc to mean all are there. */
    next_malloc = (void *(*)(size_t))dlsym(RTLD_NEXT, "malloc");
}

static int ready(void) {
    if (UNLIKELY(!next_malloc)) resolve();
    return next_malloc != NULL;
}

/* --- choosing allocations by bytes --- */
static size_t mean_bytes; /* 0: not sampling */
static TLS int64_t until_sample; /* bytes left before this thread's next sample point */
static TLS uint64_t rng_state;

static double uniform01(void) { /* in (0, 1]: xorshift64* */
    if (UNLIKELY(!rng_state)) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        rng_state = ((uint64_t)(uintptr_t)&rng_state * 0x9E3779B97F4A7C15ull) ^ (uint64_t)ts.tv_nsec ^
                    ((uint64_t)ts.tv_sec << 32) ^ 1;
    }
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return (double)((rng_state * 0x2545F4914F6CDD1Dull) >> 11 | 1) / 9007199254740992.0;
}

static int64_t next_gap(void) { return (int64_t)(-log(uniform01()) * (double)mean_bytes) + 1; }

/* Whether the next n bytes of this thread hold a sample point. The first call of a thread
 * draws its first gap (until_sample starts at 0, and a gap is at least one byte). */
static int take_sample(size_t n) {
    if (!mean_bytes) return 0;
    until_sample -= (int64_t)(n < INT64_MAX ? n : INT64_MAX);
    if (__builtin_expect(until_sample >= 0, 1)) return 0;
    static TLS int started;
    if (UNLIKELY(!started)) { /* the thread's first point lies a gap after its first byte */
        started = 1;
        until_sample += next_gap();
        if (until_sample >= 0) return 0;
    }
    while (until_sample < 0) until_sample += next_gap();
    return 1;
}

/* --- the sampled blocks still live --- */
#define TABLE_BITS 20
#define TABLE_SLOTS ((size_t)1 << TABLE_BITS)
#define TABLE_MAX_LIVE (TABLE_SLOTS / 2)
static _Atomic(uintptr_t) *table; /* 0: empty */
static atomic_uint table_seq;     /* odd while entries move */
static atomic_size_t table_live;
static pthread_mutex_t table_lock = PTHREAD_MUTEX_INITIALIZER;

static size_t slot_of(uintptr_t p) { return (size_t)(((uint64_t)p >> 4) * 0x9E3779B97F4A7C15ull >> (64 - TABLE_BITS)); }

/* Under the lock. 0 when the table is full or cannot be made. */
static int table_insert(uintptr_t p) {
    if (!table) {
        void *m = mmap(NULL, TABLE_SLOTS * sizeof *table, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
        if (m == MAP_FAILED) return 0;
        table = m;
    }
    if (atomic_load_explicit(&table_live, memory_order_relaxed) >= TABLE_MAX_LIVE) return 0;
    size_t i = slot_of(p);
    while (atomic_load_explicit(&table[i], memory_order_relaxed)) i = (i + 1) & (TABLE_SLOTS - 1);
    atomic_store_explicit(&table[i], p, memory_order_release);
    atomic_fetch_add_explicit(&table_live, 1, memory_order_release);
    return 1;
}

/* Under the lock: removes p, moving back the entries after it that belong before the hole. */
static int table_remove(uintptr_t p) {
    size_t i = slot_of(p);
    for (;;) {
        const uintptr_t v = atomic_load_explicit(&table[i], memory_order_relaxed);
        if (!v) return 0;
        if (v == p) break;
        i = (i + 1) & (TABLE_SLOTS - 1);
    }
    atomic_fetch_add_explicit(&table_seq, 1, memory_order_acq_rel);
    size_t hole = i;
    for (size_t j = (hole + 1) & (TABLE_SLOTS - 1);; j = (j + 1) & (TABLE_SLOTS - 1)) {
        const uintptr_t v = atomic_load_explicit(&table[j], memory_order_relaxed);
        if (!v) break;
        const size_t home = slot_of(v);
        /* v stays unless its home lies cyclically in (hole, j]. */
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

/* Without the lock: whether p is a sampled block still live. */
static int table_holds(uintptr_t p) {
    if (!atomic_load_explicit(&table_live, memory_order_acquire)) return 0;
    for (;;) {
        const unsigned before = atomic_load_explicit(&table_seq, memory_order_acquire);
        if (before & 1) continue;
        int found = 0;
        for (size_t i = slot_of(p);; i = (i + 1) & (TABLE_SLOTS - 1)) {
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

static inline __attribute__((always_inline)) void sampled(void *p, size_t n) {
    if (!p) return;
    pthread_mutex_lock(&table_lock);
    const int kept = table_insert((uintptr_t)p);
    pthread_mutex_unlock(&table_lock);
    if (kept) kiln_sampled_alloc(p, n, mean_bytes);
}

/* Reports a sampled block's release; before the block goes back, so no other thread can be
 * given its address first. Both are inlined into the wrappers: the marker's caller is then the
 * wrapper, whose name (malloc, free, ...) the stack shows as exact probing does. */
static inline __attribute__((always_inline)) void releasing(void *p) {
    if (!p || !table_holds((uintptr_t)p)) return;
    pthread_mutex_lock(&table_lock);
    const int was = table_remove((uintptr_t)p);
    pthread_mutex_unlock(&table_lock);
    if (was) kiln_sampled_free(p);
}

static void lock_before_fork(void) { pthread_mutex_lock(&table_lock); }
static void unlock_after_fork(void) { pthread_mutex_unlock(&table_lock); }

__attribute__((constructor)) static void start(void) {
    ready();
    const char *m = getenv("KILN_ALLOC_SAMPLE_MEAN");
    if (m && *m) {
        char *end;
        const unsigned long long v = strtoull(m, &end, 10);
        if (*end == '\0' && v > 0) mean_bytes = (size_t)v;
    }
    pthread_atfork(lock_before_fork, unlock_after_fork, unlock_after_fork);
}

/* --- the wrappers --- */
EXPORT void *malloc(size_t n) {
    if (UNLIKELY(!ready())) return boot_alloc(n);
    void *p = next_malloc(n);
    if (UNLIKELY(take_sample(n))) sampled(p, n);
    return p;
}

EXPORT void free(void *p) {
    if (UNLIKELY(!p || is_boot(p))) return;
    if (UNLIKELY(!ready())) return; /* cannot happen: p came from somewhere */
    releasing(p);
    next_free(p);
}

EXPORT void *calloc(size_t count, size_t size) {
    size_t n;
    if (__builtin_mul_overflow(count, size, &n)) n = SIZE_MAX;
    if (UNLIKELY(!ready())) {
        if (n == SIZE_MAX) return NULL;
        void *p = boot_alloc(n);
        if (p) memset(p, 0, n);
        return p;
    }
    void *p = next_calloc(count, size);
    if (UNLIKELY(take_sample(n))) sampled(p, n);
    return p;
}

EXPORT void *realloc(void *old, size_t n) {
    if (UNLIKELY(is_boot(old))) {
        size_t had;
        memcpy(&had, (char *)old - 16, sizeof had);
        void *p = malloc(n);
        if (p) memcpy(p, old, had < n ? had : n);
        return p;
    }
    if (UNLIKELY(!ready())) return boot_alloc(n);
    releasing(old); /* a failed realloc keeps old: it is then no longer counted */
    void *p = next_realloc(old, n);
    if (UNLIKELY(take_sample(n))) sampled(p, n);
    return p;
}

EXPORT int posix_memalign(void **out, size_t align, size_t n) {
    if (UNLIKELY(!ready())) return ENOMEM;
    const int r = next_posix_memalign(out, align, n);
    if (r == 0 && UNLIKELY(take_sample(n))) sampled(*out, n);
    return r;
}

EXPORT void *aligned_alloc(size_t align, size_t n) {
    if (UNLIKELY(!ready())) return NULL;
    void *p = next_aligned_alloc(align, n);
    if (UNLIKELY(take_sample(n))) sampled(p, n);
    return p;
}

EXPORT void *memalign(size_t align, size_t n) {
    if (UNLIKELY(!ready())) return NULL;
    void *p = next_memalign(align, n);
    if (UNLIKELY(take_sample(n))) sampled(p, n);
    return p;
}
