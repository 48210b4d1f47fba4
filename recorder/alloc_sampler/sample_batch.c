/* -g fp mode's batches of sampled allocations (formats/alloc_sample_batch_layout.h has the
 * layout and why). Each thread has its own batch, made at its first sampled allocation: one
 * mapping holding some room for a stack below the header, then the header and the records.
 * Handing a batch over switches the stack pointer to just below its header, with every signal
 * blocked, and calls kiln_sampled_batch, which only returns: the uprobe on it copies the
 * "stack" from there. Batches of all threads are listed so that the process's end hands over
 * each; a thread's end hands over its own. */
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "formats/alloc_sample_batch_layout.h"
#include "sampler_parts.h"

/* The probed marker, in assembly so that it uses no stack but its return address; a hidden
 * alias is what the switch calls (a call from a shared object to an exported symbol would go
 * through the PLT). */
__asm__(".text\n"
        ".globl kiln_sampled_batch\n"
        ".type kiln_sampled_batch, @function\n"
        ".globl kiln_sampled_batch_local\n"
        ".hidden kiln_sampled_batch_local\n"
        "kiln_sampled_batch:\n"
        "kiln_sampled_batch_local:\n"
        "    ret\n"
        ".size kiln_sampled_batch, .-kiln_sampled_batch\n");

#define STACK_ROOM 4096 /* below the header: the pushed return address, nothing else */
#define BATCH_MAP_BYTES (STACK_ROOM + KILN_ALLOC_BATCH_HEADER_BYTES + KILN_ALLOC_BATCH_RECORDS_BYTES)
#define FLUSH_AGE_NS 1000000000ull

struct batch {
    char *map;          /* BATCH_MAP_BYTES */
    char *header;       /* map + STACK_ROOM */
    uint32_t used, count, tid;
    uint64_t oldest_ns;
    atomic_flag busy;   /* the owner appends, the process's end flushes: rarely both */
    int owned;          /* a thread's; an ended thread's batch is taken by the next new one */
    struct batch *next; /* every batch made */
};

int batch_mode;
static struct batch *all_batches;
static pthread_mutex_t list_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_key_t exit_key;
static int exit_key_made;
static SAMPLER_TLS struct batch *mine;
static SAMPLER_TLS uintptr_t stack_top; /* the end of this thread's stack; 0 unknown */
static SAMPLER_TLS int stack_known;

static uint64_t now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void lock_batch(struct batch *b) {
    while (atomic_flag_test_and_set_explicit(&b->busy, memory_order_acquire)) sched_yield();
}
static void unlock_batch(struct batch *b) { atomic_flag_clear_explicit(&b->busy, memory_order_release); }

static void hand_over(struct batch *b) {
    if (!b->count) return;
    const uint32_t magic = KILN_ALLOC_BATCH_MAGIC;
    const uint16_t version = KILN_ALLOC_BATCH_VERSION, count = (uint16_t)b->count;
    const uint64_t mean = sampler_mean_bytes;
    memcpy(b->header, &magic, 4);
    memcpy(b->header + 4, &version, 2);
    memcpy(b->header + 6, &count, 2);
    memcpy(b->header + 8, &b->used, 4);
    memcpy(b->header + 12, &b->tid, 4);
    memcpy(b->header + 16, &mean, 8);
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    __asm__ volatile("mov %%rsp, %%rbx\n\t"
                     "mov %0, %%rsp\n\t"
                     "call kiln_sampled_batch_local\n\t"
                     "mov %%rbx, %%rsp\n\t"
                     :
                     : "D"(b->header)
                     : "rbx", "memory", "cc");
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    b->used = b->count = 0;
}

static void thread_ends(void *arg) {
    struct batch *b = arg;
    sampler_busy = 1;
    lock_batch(b);
    hand_over(b);
    unlock_batch(b);
    pthread_mutex_lock(&list_lock);
    b->owned = 0;
    pthread_mutex_unlock(&list_lock);
    mine = NULL;
    sampler_busy = 0;
}

void batch_init(void) {
    if (pthread_key_create(&exit_key, thread_ends) == 0) exit_key_made = 1;
}

static struct batch *my_batch(void) {
    if (mine) return mine;
    struct batch *b = NULL;
    pthread_mutex_lock(&list_lock);
    for (struct batch *x = all_batches; x && !b; x = x->next)
        if (!x->owned) b = x;
    if (b) b->owned = 1;
    pthread_mutex_unlock(&list_lock);
    if (!b) {
        void *m = mmap(NULL, BATCH_MAP_BYTES + sizeof(struct batch), PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
                       -1, 0);
        if (m == MAP_FAILED) return NULL;
        b = (struct batch *)((char *)m + BATCH_MAP_BYTES);
        b->map = m;
        b->header = b->map + STACK_ROOM;
        b->owned = 1;
        atomic_flag_clear(&b->busy);
        pthread_mutex_lock(&list_lock);
        b->next = all_batches;
        all_batches = b;
        pthread_mutex_unlock(&list_lock);
    }
    b->tid = (uint32_t)gettid();
    if (exit_key_made) pthread_setspecific(exit_key, b);
    mine = b;
    return b;
}

/* The frame-pointer walk from the wrapper's frame: each frame holds the caller's frame pointer
 * and the return address above it. Only addresses between here and the thread's stack end are
 * read, each frame above the last and at most 1 MiB above it (a malloc in a handler on an
 * alternate signal stack must not step over the gap to the thread's stack): a function without
 * a frame pointer (its rbp any value) ends the walk, it cannot fault. */
static int walk(void *frame, uint64_t *out, int max) {
    if (!stack_known) {
        stack_known = 1;
        pthread_attr_t attr;
        if (pthread_getattr_np(pthread_self(), &attr) == 0) {
            void *lo;
            size_t size;
            if (pthread_attr_getstack(&attr, &lo, &size) == 0) stack_top = (uintptr_t)lo + size;
            pthread_attr_destroy(&attr);
        }
    }
    int n = 0;
    uintptr_t fp = (uintptr_t)frame;
    const uintptr_t here = (uintptr_t)__builtin_frame_address(0);
    while (n < max && stack_top && fp >= here && fp <= stack_top - 16 && (fp & 7) == 0) {
        const uintptr_t *slot = (const uintptr_t *)fp;
        const uintptr_t ra = slot[1];
        if (ra < 4096) break;
        out[n++] = ra;
        if (slot[0] <= fp || slot[0] - fp > ((uintptr_t)1 << 20)) break;
        fp = slot[0];
    }
    return n;
}

static void append(struct batch *b, uint8_t kind, void *p, size_t n, const uint64_t *frames, int depth) {
    const uint32_t need = KILN_ALLOC_BATCH_RECORD_BYTES + 8u * (uint32_t)depth;
    const uint64_t t = now_ns();
    if (b->used + need > KILN_ALLOC_BATCH_RECORDS_BYTES || b->count == 0xffff) hand_over(b);
    char *r = b->header + KILN_ALLOC_BATCH_HEADER_BYTES + b->used;
    const uint8_t d = (uint8_t)depth;
    const uint64_t addr = (uint64_t)(uintptr_t)p, size = n;
    memset(r, 0, 8);
    memcpy(r, &kind, 1);
    memcpy(r + 1, &d, 1);
    memcpy(r + 8, &t, 8);
    memcpy(r + 16, &addr, 8);
    memcpy(r + 24, &size, 8);
    if (depth) memcpy(r + KILN_ALLOC_BATCH_RECORD_BYTES, frames, 8u * (size_t)depth);
    if (!b->count) b->oldest_ns = t;
    b->used += need;
    ++b->count;
    if (t - b->oldest_ns >= FLUSH_AGE_NS) hand_over(b);
}

int batch_alloc(void *p, size_t n, uintptr_t leaf, void *frame) {
    sampler_busy = 1;
    struct batch *b = my_batch();
    if (b) {
        uint64_t frames[KILN_ALLOC_BATCH_MAX_FRAMES];
        frames[0] = leaf;
        const int depth = 1 + walk(frame, frames + 1, KILN_ALLOC_BATCH_MAX_FRAMES - 1);
        lock_batch(b);
        append(b, KILN_ALLOC_RECORD_ALLOC, p, n, frames, depth);
        unlock_batch(b);
    }
    sampler_busy = 0;
    return b != NULL;
}

int batch_free(void *p) {
    sampler_busy = 1;
    struct batch *b = my_batch();
    if (b) {
        lock_batch(b);
        append(b, KILN_ALLOC_RECORD_FREE, p, 0, NULL, 0);
        unlock_batch(b);
    }
    sampler_busy = 0;
    return b != NULL;
}

void batch_flush_all(void) {
    sampler_busy = 1;
    pthread_mutex_lock(&list_lock);
    for (struct batch *b = all_batches; b; b = b->next) {
        lock_batch(b);
        hand_over(b);
        unlock_batch(b);
    }
    pthread_mutex_unlock(&list_lock);
    sampler_busy = 0;
}

void batch_lock_list(void) { pthread_mutex_lock(&list_lock); }
void batch_unlock_list(void) { pthread_mutex_unlock(&list_lock); }

void batch_forget(void) {
    for (struct batch *b = all_batches; b; b = b->next) {
        b->used = b->count = 0;
        b->owned = b == mine;         /* the parent's other threads are not the child's */
        atomic_flag_clear(&b->busy);  /* one of them may have held it */
    }
    if (mine) mine->tid = (uint32_t)gettid();
}
