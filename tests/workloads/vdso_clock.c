/* Reads the clock through the vdso for argv[1] seconds of wall time (default 1): the main thread
 * calls read_clock(), a noinline function that calls clock_gettime(CLOCK_MONOTONIC) in a loop,
 * half of the time, and spin() the other half. CLOCK_MONOTONIC is answered in the vdso without
 * a system call, so about half of the samples are in [vdso] code, under
 * main;read_clock;clock_gettime. */
#include <stdlib.h>
#include <time.h>

volatile unsigned long sink;

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

__attribute__((noinline)) void read_clock(double seconds) {
    const double end = now_s() + seconds;
    struct timespec ts;
    do {
        for (int i = 0; i < 100; ++i) {
            clock_gettime(CLOCK_MONOTONIC, &ts);
            sink += (unsigned long)ts.tv_nsec;
        }
    } while (now_s() < end);
}

__attribute__((noinline)) void spin(double seconds) {
    const double end = now_s() + seconds;
    do {
        for (int i = 0; i < 20000; ++i) sink += (unsigned long)i * 2654435761u;
    } while (now_s() < end);
}

int main(int argc, char** argv) {
    const double run_s = argc > 1 ? atof(argv[1]) : 1.0;
    const double start = now_s();
    while (now_s() - start < run_s) {
        read_clock(0.005);
        spin(0.005);
    }
    return 0;
}
