/* A throughput meter for the benchmarks: argv[2] threads (default 1) each repeat one fixed
 * unit of work, two calls deep, for argv[1] seconds of wall time; at the end it prints the
 * units done. Under a recorder, fewer units in the same time is the workload's slowdown:
 * the recorder's own CPU plus what sampling costs the workload (interrupts, callchains,
 * stack copies). */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double wall(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double stop_at;
volatile unsigned long sink;

__attribute__((noinline)) unsigned long mix(unsigned long x, int n) {
    for (int i = 0; i < n; i++) x = x * 6364136223846793005ul + 1442695040888963407ul;
    return x;
}

/* About 20 µs: the clock is read once per unit. */
__attribute__((noinline)) unsigned long work_unit(unsigned long x) {
    for (int i = 0; i < 20; i++) x = mix(x, 1000);
    return x;
}

static void* meter_thread(void* arg) {
    unsigned long* units = arg;
    unsigned long x = 1;
    while (wall() < stop_at) {
        x = work_unit(x);
        ++*units;
    }
    sink = x;
    return NULL;
}

int main(int argc, char** argv) {
    const double seconds = argc > 1 ? atof(argv[1]) : 1.0;
    int threads = argc > 2 ? atoi(argv[2]) : 1;
    if (threads < 1 || threads > 1024) threads = 1;
    stop_at = wall() + seconds;
    pthread_t tid[1024];
    unsigned long units[1024] = {0};
    for (int i = 0; i < threads; i++) pthread_create(&tid[i], NULL, meter_thread, &units[i]);
    unsigned long total = 0;
    for (int i = 0; i < threads; i++) {
        pthread_join(tid[i], NULL);
        total += units[i];
    }
    printf("%lu\n", total);
    return 0;
}
