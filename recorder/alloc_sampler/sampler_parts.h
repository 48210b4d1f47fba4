/* The parts of kiln's allocation sampler (alloc_sampler.c has the whole story): the table of
 * sampled blocks still live (sampled_table.c) and the per-thread batches of -g fp mode
 * (sample_batch.c). */
#ifndef KILN_ALLOC_SAMPLER_PARTS_H
#define KILN_ALLOC_SAMPLER_PARTS_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#define SAMPLER_TLS __thread __attribute__((tls_model("initial-exec")))
#define SAMPLER_UNLIKELY(x) __builtin_expect(!!(x), 0)

/* The mean bytes between samples; 0 when not sampling. */
extern size_t sampler_mean_bytes;
/* Set while the sampler itself runs on this thread (a libc call of its own may allocate): the
 * wrappers then only forward. */
extern SAMPLER_TLS int sampler_busy;

/* The sampled blocks still live. insert: 0 when the table is full (the block is then not
 * reported). release: whether p was a sampled block (and is no longer). Both take the table's
 * lock only when they change it: a free of a block never sampled takes none. */
int table_insert(uintptr_t p);
int table_release_slow(uintptr_t p);
/* How many sampled blocks are live: 0 most of the time in many programs, and then a free needs
 * no lookup (checked inline, before a call into sampled_table.c). */
extern atomic_size_t table_live;
static inline int table_release(uintptr_t p) {
    return p && atomic_load_explicit(&table_live, memory_order_acquire) && table_release_slow(p);
}
void table_lock(void);
void table_unlock(void);
/* In a forked child: the parent's blocks are not the child's to report. */
void table_forget(void);

/* -g fp mode's batches. Whether records go to batches (KILN_ALLOC_SAMPLE_BATCH set). */
extern int batch_mode;
/* Appends a sampled allocation of n bytes at p, made through the wrapper at leaf, whose frame
 * is at frame; 0 when this thread has no batch (the caller then calls the marker). */
int batch_alloc(void *p, size_t n, uintptr_t leaf, void *frame);
/* Appends the free of the sampled block p; 0 when this thread has no batch. */
int batch_free(void *p);
/* Hands every thread's pending records to the kernel (the process ends). */
void batch_flush_all(void);
/* Sets up the key whose destructor flushes a thread's batch when it ends. */
void batch_init(void);
/* Around fork: the list of batches is not changed meanwhile; in the child, the records
 * pending are the parent's. */
void batch_lock_list(void);
void batch_unlock_list(void);
void batch_forget(void);

#endif
