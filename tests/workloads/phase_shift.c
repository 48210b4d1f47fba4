/* A steady CPU mix with an injected change of behaviour at a known time, for the anomalies
 * view. For argv[1] seconds (default 3) of wall time, in slices of its own CPU time of random
 * length, the main thread splits its CPU 60:40 between steady_a and steady_b; from argv[2] to argv[3] seconds after it
 * starts (default 1.2 to 1.6) it runs burst_c instead. argv[2] = "steady" injects nothing.
 * Times are from the program's start (the recording starts a few ms before). */
#define _GNU_SOURCE
#include <stdlib.h>
#include <string.h>
#include <time.h>

volatile unsigned long sink;

static double clock_s(clockid_t clock) {
    struct timespec ts;
    clock_gettime(clock, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}
static double now_s(void) { return clock_s(CLOCK_MONOTONIC); }
/* The thread's own CPU time: a slice is the same share of CPU however often the thread is
 * preempted on a loaded machine (wall-time slices would not be). */
static double cpu_s(void) { return clock_s(CLOCK_THREAD_CPUTIME_ID); }

__attribute__((noinline)) static void spin_for(double cpu_seconds) {
    const double end = cpu_s() + cpu_seconds;
    while (cpu_s() < end)
        for (int i = 0; i < 20000; ++i) sink += (unsigned long)i * 2654435761u;
}

/* The store after the call keeps each a frame of its own (no tail call into spin_for). */
__attribute__((noinline)) void steady_a(double s) { spin_for(s); sink += 1; }
__attribute__((noinline)) void steady_b(double s) { spin_for(s); sink += 2; }
__attribute__((noinline)) void burst_c(double s) { spin_for(s); sink += 3; }

int main(int argc, char** argv) {
    const double seconds = argc > 1 ? atof(argv[1]) : 3.0;
    const int steady = argc > 2 && strcmp(argv[2], "steady") == 0;
    const double from = argc > 2 && !steady ? atof(argv[2]) : 1.2;
    const double to = argc > 3 ? atof(argv[3]) : 1.6;
    const double start = now_s();
    unsigned long long x = 88172645463325252ull;  /* xorshift64 */
    while (now_s() - start < seconds) {
        const double t = now_s() - start;
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        /* Slices of 0.3 to 1.3 ms at random, 6 in 10 of them steady_a: 60:40 of the CPU time,
         * with no period a sampling clock could alias with. */
        const double slice = 0.0003 + (double)(x % 1000) * 1e-6;
        if (!steady && t >= from && t < to)
            burst_c(slice);
        else if ((x >> 20) % 10 < 6)
            steady_a(slice);
        else
            steady_b(slice);
    }
    return 0;
}
