/* Spins until killed (or for argv[1] seconds of wall time when given), for attaching with
 * -p/-t and for system-wide recordings. After 300 ms it starts a second spinning thread,
 * so a recorder attached earlier must follow a thread created later. Writes its pid to the
 * file named by argv[2] when given. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

static double wall(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double stop_at = 1e18;
volatile unsigned long sink;

__attribute__((noinline)) void spin_until_stop(void) {
    unsigned long x = 1;
    while (wall() < stop_at)
        for (int i = 0; i < 100000; i++) x = x * 31 + (unsigned long)i;
    sink = x;
}

static void* late_thread(void* arg) {
    (void)arg;
    spin_until_stop();
    return NULL;
}

int main(int argc, char** argv) {
    double start = wall();
    if (argc > 1 && atof(argv[1]) > 0) stop_at = start + atof(argv[1]);
    if (argc > 2) {
        FILE* f = fopen(argv[2], "w");
        if (f) {
            fprintf(f, "%d\n", (int)getpid());
            fclose(f);
        }
    }
    while (wall() - start < 0.3) sink++;
    pthread_t t;
    pthread_create(&t, NULL, late_thread, NULL);
    spin_until_stop();
    pthread_join(t, NULL);
    return 0;
}
