/* kiln's allocation sampler, preloaded (LD_PRELOAD) into the command `kiln record --alloc-sample
 * BYTES` starts. It wraps malloc, calloc, realloc, free, posix_memalign, aligned_alloc and
 * memalign (each forwards to the next definition: libc's, or an allocator the program links),
 * and picks allocations by bytes, as tcmalloc's heap profiler does: the sample points fall on a
 * thread's stream of allocated bytes as a Poisson process of mean KILN_ALLOC_SAMPLE_MEAN bytes,
 * and an allocation holding a point is sampled. The analyzer weighs each sampled block by
 * 1 / (1 - exp(-size / mean)) (analyzer/views/alloc_view.cpp).
 *
 * How a sampled block reaches kiln, which has uprobes on the markers below:
 *   - with -g dwarf (KILN_ALLOC_SAMPLE_BATCH unset): kiln_sampled_alloc(ptr, size, mean) for the
 *     block, kiln_sampled_free(ptr) when it is freed: one trap into the kernel each (~10-20 us),
 *     the stack unwound by kiln from the copy the uprobe takes;
 *   - with -g fp (KILN_ALLOC_SAMPLE_BATCH=1): the sampler walks the frame pointers itself and
 *     appends the block, or its free, to its thread's batch, handed over in one trap per ~100
 *     records (sample_batch.c).
 * The sampled blocks still live are kept in a table (sampled_table.c), so that only their frees
 * are reported. Without KILN_ALLOC_SAMPLE_MEAN the wrappers only forward. The sampler allocates
 * nothing itself, except through libc calls made while sampler_busy is set (the wrappers then
 * only forward) and dlsym's allocations while the next definitions are looked up, which come
 * from a static buffer. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sampler_parts.h"

#define EXPORT __attribute__((visibility("default")))
#if defined(__clang__)
#define MARKER EXPORT __attribute__((noinline, used))
#else
#define MARKER EXPORT __attribute__((noipa, used))
#endif
#define TLS SAMPLER_TLS
#define UNLIKELY(x) SAMPLER_UNLIKELY(x)

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

__attribute__((noinline, cold)) static void resolve(void) {
    if (atomic_exchange(&resolving, 1)) return; /* a call from inside dlsym */
    next_calloc = (void *(*)(size_t, size_t))dlsym(RTLD_NEXT, "calloc");
    next_realloc = (void *(*)(void *, size_t))dlsym(RTLD_NEXT, "realloc");
    next_free = (void (*)(void *))dlsym(RTLD_NEXT, "free");
    next_posix_memalign = (int (*)(void **, size_t, size_t))dlsym(RTLD_NEXT, "posix_memalign");
    next_aligned_alloc = (void *(*)(size_t, size_t))dlsym(RTLD_NEXT, "aligned_alloc");
    next_memalign = (void *(*)(size_t, size_t))dlsym(RTLD_NEXT, "memalign");
    /* Last, and released: a wrapper takes a non-null next_malloc to mean all are there. */
    __atomic_store_n(&next_malloc, (void *(*)(size_t))dlsym(RTLD_NEXT, "malloc"), __ATOMIC_RELEASE);
}

static inline __attribute__((always_inline)) int ready(void) {
    if (__builtin_expect(__atomic_load_n(&next_malloc, __ATOMIC_ACQUIRE) != NULL, 1)) return 1;
    resolve();
    return __atomic_load_n(&next_malloc, __ATOMIC_ACQUIRE) != NULL;
}

/* --- choosing allocations by bytes --- */
size_t sampler_mean_bytes;
SAMPLER_TLS int sampler_busy;
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

static int64_t next_gap(void) { return (int64_t)(-log(uniform01()) * (double)sampler_mean_bytes) + 1; }

/* The bytes before this thread's next sample point ran out. The first time for a thread, its
 * first gap is drawn (until_sample starts at 0, and a gap is at least one byte). While the
 * sampler itself allocates nothing is sampled: the point then falls on the next allocation. */
__attribute__((noinline)) static int take_sample_slow(void) {
    if (sampler_busy) return 0;
    static TLS int started;
    if (UNLIKELY(!started)) { /* the thread's first point lies a gap after its first byte */
        started = 1;
        until_sample += next_gap();
        if (until_sample >= 0) return 0;
    }
    while (until_sample < 0) until_sample += next_gap();
    return 1;
}

/* Whether the next n bytes of this thread hold a sample point: a subtraction, most of the time. */
static inline __attribute__((always_inline)) int take_sample(size_t n) {
    if (!sampler_mean_bytes) return 0;
    until_sample -= (int64_t)(n < INT64_MAX ? n : INT64_MAX);
    if (__builtin_expect(until_sample >= 0, 1)) return 0;
    return take_sample_slow();
}

/* --- reporting a sampled block --- */
/* The address of the code it stands in (a label's), for the wrapper's own frame. */
#define HERE() ({ __label__ here_; here_: (uintptr_t)&&here_; })

/* Inlined into the wrappers: the marker's caller, and the walk's first frame, is the wrapper,
 * whose name (malloc, calloc, ...) the stack shows where exact probing shows libc's. */
static inline __attribute__((always_inline)) void sampled(void *p, size_t n, uintptr_t leaf, void *frame) {
    if (!p || !table_insert((uintptr_t)p)) return;
    if (!batch_mode || !batch_alloc(p, n, leaf, frame)) kiln_sampled_alloc(p, n, sampler_mean_bytes);
}

/* A sampled block's release is reported before the block goes back, so no other thread can be
 * given its address first. */
static inline __attribute__((always_inline)) void releasing(void *p) {
    if (!table_release((uintptr_t)p)) return;
    if (!batch_mode || !batch_free(p)) kiln_sampled_free(p);
}

static void lock_before_fork(void) {
    table_lock();
    batch_lock_list();
}
static void unlock_in_parent(void) {
    batch_unlock_list();
    table_unlock();
}
static void unlock_in_child(void) {
    batch_unlock_list();
    table_unlock();
    table_forget();  /* the parent's blocks: the child's frees of them are not reported */
    batch_forget();
}

__attribute__((constructor)) static void start(void) {
    ready();
    const char *m = getenv("KILN_ALLOC_SAMPLE_MEAN");
    if (m && *m) {
        char *end;
        const unsigned long long v = strtoull(m, &end, 10);
        if (*end == '\0' && v > 0) sampler_mean_bytes = (size_t)v;
    }
    const char *batch = getenv("KILN_ALLOC_SAMPLE_BATCH");
    batch_mode = batch && *batch == '1';
    batch_init();
    pthread_atfork(lock_before_fork, unlock_in_parent, unlock_in_child);
}

__attribute__((destructor)) static void finish(void) {
    if (batch_mode) batch_flush_all();
}

/* --- the wrappers --- */
EXPORT void *malloc(size_t n) {
    if (UNLIKELY(!ready())) return boot_alloc(n);
    void *p = next_malloc(n);
    if (UNLIKELY(take_sample(n))) sampled(p, n, HERE(), __builtin_frame_address(0));
    return p;
}

EXPORT void free(void *p) {
    if (UNLIKELY(!p || is_boot(p))) return;
    if (UNLIKELY(!ready())) return; /* cannot happen: p came from somewhere */
    if (!sampler_busy) releasing(p);
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
    if (UNLIKELY(take_sample(n))) sampled(p, n, HERE(), __builtin_frame_address(0));
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
    if (!sampler_busy) releasing(old); /* a failed realloc keeps old: it is then no longer counted */
    void *p = next_realloc(old, n);
    if (UNLIKELY(take_sample(n))) sampled(p, n, HERE(), __builtin_frame_address(0));
    return p;
}

EXPORT int posix_memalign(void **out, size_t align, size_t n) {
    if (UNLIKELY(!ready())) return ENOMEM;
    const int r = next_posix_memalign(out, align, n);
    if (r == 0 && UNLIKELY(take_sample(n))) sampled(*out, n, HERE(), __builtin_frame_address(0));
    return r;
}

EXPORT void *aligned_alloc(size_t align, size_t n) {
    if (UNLIKELY(!ready())) return NULL;
    void *p = next_aligned_alloc(align, n);
    if (UNLIKELY(take_sample(n))) sampled(p, n, HERE(), __builtin_frame_address(0));
    return p;
}

EXPORT void *memalign(size_t align, size_t n) {
    if (UNLIKELY(!ready())) return NULL;
    void *p = next_memalign(align, n);
    if (UNLIKELY(take_sample(n))) sampled(p, n, HERE(), __builtin_frame_address(0));
    return p;
}
