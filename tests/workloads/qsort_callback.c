/* CPU time spent in a comparison callback that libc's qsort calls: a DWARF unwinder must
 * walk through qsort's frames (libc has no frame pointers) to sort_many() and main().
 * Runs for the CPU seconds given as argv[1] (default 1.0), prints the CPU time it used. */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double cpu_seconds(void) {
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

volatile unsigned long sink;

__attribute__((noinline)) int slow_compare(const void* a, const void* b) {
    unsigned long x = sink;
    for (int i = 0; i < 200; i++) x = x * 6364136223846793005UL + (unsigned long)i;
    sink = x;
    const int ia = *(const int*)a, ib = *(const int*)b;
    return (ia > ib) - (ia < ib);
}

__attribute__((noinline)) void sort_many(double seconds) {
    enum { N = 4096 };
    static int v[N];
    double start = cpu_seconds();
    unsigned s = 1;
    while (cpu_seconds() - start < seconds) {
        for (int i = 0; i < N; i++) v[i] = (int)(s = s * 1103515245u + 12345u);
        qsort(v, N, sizeof v[0], slow_compare);
    }
}

int main(int argc, char** argv) {
    sort_many(argc > 1 ? atof(argv[1]) : 1.0);
    printf("%.6f\n", cpu_seconds());
    return 0;
}
