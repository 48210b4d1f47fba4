/* The batch of sampled allocations kiln's allocation sampler (recorder/alloc_sampler) hands to
 * the kernel in one uprobe hit, and the analyzer reads back (formats/alloc_sample_batch.h).
 * Shared by the sampler (C) and kiln (C++): plain C, fixed-size little-endian fields.
 *
 * With -g fp the sampler walks the frame pointers of each sampled allocation itself, appends the
 * allocation (or the free of a sampled block) to its thread's batch, and when the batch is full
 * (or its oldest record is a second old, or the thread or process ends) calls
 * kiln_sampled_batch(header) with the stack pointer moved to just below the header: the
 * uprobe's copy of the user stack (KILN_ALLOC_BATCH_STACK_BYTES from sp) holds the return
 * address, then the header, then the records. One trap carries ~100 allocations.
 *
 * header (24 bytes): u32 magic, u16 version, u16 record count, u32 record bytes, u32 tid of the
 *   thread whose records these are, u64 the sampler's mean bytes between samples.
 * record (32 bytes, then `frames` u64 addresses for an allocation): u8 kind, u8 frames,
 *   u16 0, u32 0, u64 time (CLOCK_MONOTONIC ns, the recording's clock), u64 address, u64 size
 *   (0 for a free). The addresses are leaf first: the sampler's allocator function itself, then
 *   the return addresses the walk found. */
#ifndef KILN_FORMATS_ALLOC_SAMPLE_BATCH_LAYOUT_H
#define KILN_FORMATS_ALLOC_SAMPLE_BATCH_LAYOUT_H

#define KILN_ALLOC_BATCH_MAGIC 0x414e4c4bu /* "KLNA" */
#define KILN_ALLOC_BATCH_VERSION 1
#define KILN_ALLOC_BATCH_HEADER_BYTES 24
#define KILN_ALLOC_BATCH_RECORD_BYTES 32
#define KILN_ALLOC_BATCH_RECORDS_BYTES 16384 /* at most, after the header */
#define KILN_ALLOC_BATCH_MAX_FRAMES 64
/* What the uprobe copies from sp: the return address, the header and the records. */
#define KILN_ALLOC_BATCH_STACK_BYTES (8 + KILN_ALLOC_BATCH_HEADER_BYTES + KILN_ALLOC_BATCH_RECORDS_BYTES)

#define KILN_ALLOC_RECORD_ALLOC 1
#define KILN_ALLOC_RECORD_FREE 2

#endif
