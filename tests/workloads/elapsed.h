/* For benchmarks: a workload's own wall time, without the start-up and end of whatever runs it
 * (a profiler, heaptrack). With WORKLOAD_ELAPSED_FILE set, elapsed_end() writes the seconds since
 * elapsed_start() there. */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static struct timespec elapsed_began;

static void elapsed_start(void) { clock_gettime(CLOCK_MONOTONIC, &elapsed_began); }

static void elapsed_end(void) {
    const char *path = getenv("WORKLOAD_ELAPSED_FILE");
    if (!path || !*path) return;
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    FILE *f = fopen(path, "w");
    if (!f) return;
    fprintf(f, "%.6f\n", (double)(now.tv_sec - elapsed_began.tv_sec) + (double)(now.tv_nsec - elapsed_began.tv_nsec) / 1e9);
    fclose(f);
}
