/* Most CPU time is spent in mix_step(), which is always inlined into outer_loop(); a
 * profiler that reads DWARF inline records shows main → outer_loop → mix_step. Runs for
 * the CPU seconds given as argv[1] (default 1.0) and prints the CPU time it used. */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double cpu_seconds(void) {
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

volatile unsigned long sink;

static inline __attribute__((always_inline)) unsigned long mix_step(unsigned long x, unsigned long n) {
    for (unsigned long i = 0; i < n; i++) x = (x ^ (x >> 7)) * 0x9e3779b97f4a7c15UL + i;
    return x;
}

__attribute__((noinline)) void outer_loop(double seconds) {
    double start = cpu_seconds();
    unsigned long x = sink;
    while (cpu_seconds() - start < seconds) x = mix_step(x, 400000);
    sink = x;
}

int main(int argc, char** argv) {
    outer_loop(argc > 1 ? atof(argv[1]) : 1.0);
    printf("%.6f\n", cpu_seconds());
    return 0;
}
