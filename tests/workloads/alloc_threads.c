/* Allocations freed by other threads, with a known leak, for the allocation sampler's tests and
 * benchmark. THREADS threads (default 4) run ROUNDS rounds (default 10). In each round every
 * thread allocates 5000 blocks in alloc_round() (block i: 1024 + (i % 8) * 128 bytes), then,
 * once all have, frees the blocks of the next thread in free_round(), keeping every tenth (i %
 * 10 == 0) until exit: THREADS * ROUNDS * 500 blocks, 704000 bytes per thread and round,
 * stay in use under alloc_round.
 * Usage: alloc_threads [ROUNDS] [THREADS] */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#include "elapsed.h"

#if defined(__clang__)
#define KEEP __attribute__((noinline, used))
#else
#define KEEP __attribute__((noipa, used))
#endif

#define BLOCKS 5000
#define MAX_THREADS 64

static int threads = 4, rounds = 10;
static void *blocks[MAX_THREADS][BLOCKS];
static void **kept;
static pthread_barrier_t barrier;

KEEP void alloc_round(int t) {
    for (int i = 0; i < BLOCKS; i++) {
        char *p = malloc(1024 + (size_t)(i % 8) * 128);
        p[0] = (char)i;
        blocks[t][i] = p;
    }
}

KEEP void free_round(int t, int round) {
    const int owner = (t + 1) % threads;
    for (int i = 0; i < BLOCKS; i++) {
        if (i % 10 == 0)
            kept[((size_t)owner * rounds + round) * (BLOCKS / 10) + i / 10] = blocks[owner][i];
        else
            free(blocks[owner][i]);
    }
}

static void *worker(void *arg) {
    const int t = (int)(long)arg;
    for (int r = 0; r < rounds; r++) {
        alloc_round(t);
        pthread_barrier_wait(&barrier);
        free_round(t, r);
        pthread_barrier_wait(&barrier);
    }
    return NULL;
}

int main(int argc, char **argv) {
    if (argc > 1) rounds = atoi(argv[1]);
    if (argc > 2) threads = atoi(argv[2]);
    if (rounds < 1 || threads < 1 || threads > MAX_THREADS) {
        fprintf(stderr, "usage: alloc_threads [ROUNDS] [THREADS<=%d]\n", MAX_THREADS);
        return 2;
    }
    elapsed_start();
    kept = calloc((size_t)threads * rounds * (BLOCKS / 10), sizeof *kept);
    pthread_barrier_init(&barrier, NULL, (unsigned)threads);
    pthread_t tid[MAX_THREADS];
    for (long t = 0; t < threads; t++) pthread_create(&tid[t], NULL, worker, (void *)t);
    for (int t = 0; t < threads; t++) pthread_join(tid[t], NULL);
    elapsed_end();
    printf("kept %d blocks\n", threads * rounds * (BLOCKS / 10));
    return 0;
}
