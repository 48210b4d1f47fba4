/* The workload `kiln diff` tests compare: a pipeline of three stages called from main through
 * run(), each doing the same kind of work (so compiler flags change them alike and their
 * shares stay put): parse_input 1 unit, render_page 1 unit, compress_output 1 unit per round,
 * i.e. a third of the CPU time each. Built with -DHEAVY=1, render_page does twice the work
 * (half of the time; the others a quarter each). Runs for the CPU seconds given as argv[1]
 * (default 1.0). noclone keeps GCC from renaming the stages (.constprop) at some -O levels. */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#ifndef HEAVY
#define HEAVY 0
#endif

static double cpu_seconds(void) {
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

volatile unsigned long sink;

#define STAGE(name, mult)                                                            \
    __attribute__((noinline, noclone)) void name(unsigned long n) {                 \
        unsigned long x = sink;                                                      \
        for (unsigned long i = 0; i < n; i++) x = x * (mult) + i;                    \
        sink = x;                                                                    \
    }

STAGE(parse_input, 6364136223846793005UL)
STAGE(render_page, 2862933555777941757UL)
STAGE(compress_output, 3935559000370003845UL)

__attribute__((noinline, noclone)) void run(double seconds) {
    const unsigned long unit = 4000000; /* ~5 ms a stage: far longer than the 1 ms sampling period, so the rounds do not alias with it */
    double start = cpu_seconds();
    while (cpu_seconds() - start < seconds) {
        parse_input(unit);
        render_page(HEAVY ? 2 * unit : unit);
        compress_output(unit);
    }
}

int main(int argc, char** argv) {
    run(argc > 1 ? atof(argv[1]) : 1.0);
    printf("%lu\n", sink);
    return 0;
}
