/* One process with many threads: starts argv[1] threads (default 1000), each burns about
 * argv[2] ms of CPU (default 2) in thread_work(), then all wait at a barrier so that every one of
 * them is alive at once, and the main thread joins them. Prints the number of threads started. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static pthread_barrier_t barrier;
static double burn_ms = 2;
volatile unsigned long sink;

static double thread_cpu_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

__attribute__((noinline)) void thread_work(void) {
    const double start = thread_cpu_ms();
    while (thread_cpu_ms() - start < burn_ms)
        for (int i = 0; i < 100000; i++) sink += (unsigned long)i;  /* the clock is a syscall: read it seldom */
}

static void* run(void* arg) {
    (void)arg;
    thread_work();
    pthread_barrier_wait(&barrier);
    return NULL;
}

int main(int argc, char** argv) {
    const int n = argc > 1 ? atoi(argv[1]) : 1000;
    if (argc > 2) burn_ms = atof(argv[2]);
    pthread_t* threads = calloc((size_t)n, sizeof *threads);
    pthread_barrier_init(&barrier, NULL, (unsigned)n);
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setstacksize(&attr, 64 * 1024);
    int started = 0;
    for (; started < n; started++)
        if (pthread_create(&threads[started], &attr, run, NULL) != 0) break;
    if (started < n) {
        fprintf(stderr, "only %d threads started\n", started);
        return 1;  /* the barrier would never open */
    }
    for (int i = 0; i < started; i++) pthread_join(threads[i], NULL);
    printf("%d\n", started);
    return 0;
}
