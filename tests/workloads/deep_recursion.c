/* Burns CPU at the bottom of a 3000-deep recursion, so user stacks are far deeper than any
 * stack copy: DWARF-mode stacks must come out truncated, not wrong. Runs for the CPU
 * seconds given as argv[1] (default 1.0), prints the CPU time it used. */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double cpu_seconds(void) {
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

volatile unsigned long sink;

__attribute__((noinline)) void burn(double seconds) {
    double start = cpu_seconds();
    unsigned long x = sink;
    while (cpu_seconds() - start < seconds)
        for (int i = 0; i < 100000; i++) x = x * 31 + (unsigned long)i;
    sink = x;
}

__attribute__((noinline)) unsigned long descend(int depth, double seconds) {
    volatile char pad[32];
    pad[0] = (char)depth;
    if (depth == 0) {
        burn(seconds);
        return pad[0];
    }
    return descend(depth - 1, seconds) + pad[0];
}

int main(int argc, char** argv) {
    sink = descend(3000, argc > 1 ? atof(argv[1]) : 1.0);
    printf("%.6f\n", cpu_seconds());
    return 0;
}
