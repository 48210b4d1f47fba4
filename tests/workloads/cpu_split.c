/* A CPU-bound workload with a known shape: hot_a burns 3/4 of the CPU time, hot_b 1/4,
 * both called from main through work(). Runs for the CPU seconds given as argv[1]
 * (default 1.0) and prints the CPU time it consumed, in seconds, on stdout. */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double cpu_seconds(void) {
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

volatile unsigned long sink;

__attribute__((noinline)) void hot_a(unsigned long n) {
    unsigned long x = sink;
    for (unsigned long i = 0; i < n; i++) x = x * 6364136223846793005UL + i;
    sink = x;
}

__attribute__((noinline)) void hot_b(unsigned long n) {
    unsigned long x = sink;
    for (unsigned long i = 0; i < n; i++) x = x * 2862933555777941757UL + i;
    sink = x;
}

__attribute__((noinline)) void work(double seconds) {
    double start = cpu_seconds();
    while (cpu_seconds() - start < seconds) {
        hot_a(300000);
        hot_b(100000);
    }
}

int main(int argc, char** argv) {
    double seconds = argc > 1 ? atof(argv[1]) : 1.0;
    work(seconds);
    printf("%.6f\n", cpu_seconds());
    return 0;
}
