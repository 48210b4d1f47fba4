/* A memory workload with a known shape, for the --mem views:
 *   leak_blocks(): 64 blocks of 100000 bytes, kept until exit (6400000 bytes in use);
 *   churn():       malloc and free of 4096 bytes, 20000 times (0 bytes in use at the end);
 *   touch_pages(): writes every page of a fresh 16 MiB anonymous mapping (4096 faults of 4 KiB
 *                  pages), unmaps it.
 * Each is called once from main; `mem_mix ROUNDS` runs churn ROUNDS times (benchmarks). */
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "elapsed.h"

#if defined(__clang__)
#define KEEP __attribute__((noinline, used))
#else
#define KEEP __attribute__((noipa, used))
#endif

#define LEAK_BLOCKS 64
#define LEAK_SIZE 100000
#define CHURN_COUNT 20000
#define CHURN_SIZE 4096
#define TOUCH_BYTES (16u << 20)

void *volatile kept[LEAK_BLOCKS];
volatile unsigned long sink;

KEEP void leak_blocks(void) {
    for (int i = 0; i < LEAK_BLOCKS; i++) {
        char *p = malloc(LEAK_SIZE);
        p[0] = (char)i;
        kept[i] = p;
    }
}

KEEP void churn(void) {
    for (int i = 0; i < CHURN_COUNT; i++) {
        char *volatile p = malloc(CHURN_SIZE);
        p[0] = (char)i;
        sink += (unsigned long)p[0];
        free(p);
    }
}

KEEP void touch_pages(void) {
    const long page = sysconf(_SC_PAGESIZE);
    char *m = mmap(NULL, TOUCH_BYTES, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (m == MAP_FAILED) abort();
    /* No transparent huge pages: one fault per base page. */
    madvise(m, TOUCH_BYTES, MADV_NOHUGEPAGE);
    for (unsigned long off = 0; off < TOUCH_BYTES; off += (unsigned long)page) m[off] = 1;
    sink += (unsigned long)m[page];
    munmap(m, TOUCH_BYTES);
}

int main(int argc, char **argv) {
    const int rounds = argc > 1 ? atoi(argv[1]) : 1;
    elapsed_start();
    leak_blocks();
    for (int r = 0; r < rounds; r++) churn();
    touch_pages();
    elapsed_end();
    return 0;
}
