/* Three threads and one forked child, each spinning for the CPU seconds in argv[1]
 * (default 0.5). Exercises following threads and children from `kiln record -- CMD`. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double thread_cpu(void) {
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double seconds = 0.5;
volatile unsigned long sink;

__attribute__((noinline)) void spin_in_thread(void) {
    double start = thread_cpu();
    unsigned long x = 1;
    while (thread_cpu() - start < seconds)
        for (int i = 0; i < 100000; i++) x = x * 31 + (unsigned long)i;
    sink = x;
}

__attribute__((noinline)) void spin_in_child(void) { spin_in_thread(); }

static void* thread_main(void* arg) {
    (void)arg;
    spin_in_thread();
    return NULL;
}

int main(int argc, char** argv) {
    if (argc > 1) seconds = atof(argv[1]);
    pid_t child = fork();
    if (child == 0) {
        spin_in_child();
        _exit(0);
    }
    pthread_t t[3];
    for (int i = 0; i < 3; i++) pthread_create(&t[i], NULL, thread_main, NULL);
    for (int i = 0; i < 3; i++) pthread_join(t[i], NULL);
    int status = 0;
    waitpid(child, &status, 0);
    printf("parent %d child %d\n", (int)getpid(), (int)child);
    return 0;
}
