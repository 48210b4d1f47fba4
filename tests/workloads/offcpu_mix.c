/* Known off-CPU and on-CPU times for the offcpu, hotcold and wakeup views. Four threads
 * start together:
 *   sleeper  sleeps 400 ms in sleep_400ms (nanosleep: interruptible sleep)
 *   reader   blocks 600 ms in block_on_pipe, reading a pipe nobody has written to yet
 *   writer   sleeps 600 ms in write_after_600ms, then writes the pipe: it wakes the reader
 *   spinner  spins 300 ms of its own CPU time in spin_300ms
 * Each thread then sleeps 1 ms and exits; each is named after its role (pthread_setname_np). With argv[1] (seconds) the
 * threads start only after that delay (to attach with -p first); argv[2] names a file that
 * gets the pid ("-": none); argv[3] sets the writer's sleep in ms (default 600). */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

static int pipe_fds[2];
static long writer_ms = 600;
static pthread_barrier_t start_line;
volatile unsigned long sink;

static void sleep_ms(long ms) {
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0) {
    }
}

static double thread_cpu_seconds(void) {
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

__attribute__((noinline)) void sleep_400ms(void) { sleep_ms(400); }

__attribute__((noinline)) void block_on_pipe(void) {
    char c;
    if (read(pipe_fds[0], &c, 1) != 1) perror("read");
}

__attribute__((noinline)) void write_after_600ms(void) {
    sleep_ms(writer_ms);
    if (write(pipe_fds[1], "x", 1) != 1) perror("write");
}

__attribute__((noinline)) void spin_300ms(void) {
    unsigned long x = 1;
    const double end = thread_cpu_seconds() + 0.3;
    while (thread_cpu_seconds() < end)
        for (int i = 0; i < 10000; i++) x = x * 31 + (unsigned long)i;
    sink = x;
}

static void* run(void* arg) {
    static const char* names[] = {"sleeper", "reader", "writer", "spinner"};
    const long role = (long)arg;
    pthread_setname_np(pthread_self(), names[role]);
    pthread_barrier_wait(&start_line);
    switch (role) {
        case 0: sleep_400ms(); break;
        case 1: block_on_pipe(); break;
        case 2: write_after_600ms(); break;
        default: spin_300ms(); break;
    }
    /* A last short sleep, so that the thread switches out once more while alive after its
     * known block: tools that report a block at the next switch out (perf sched timehist)
     * see the block too, not only the exit. */
    sleep_ms(1);
    return NULL;
}

int main(int argc, char** argv) {
    if (argc > 3) writer_ms = atol(argv[3]);
    if (argc > 2 && argv[2][0] != '-') {
        FILE* f = fopen(argv[2], "w");
        if (f) {
            fprintf(f, "%d\n", (int)getpid());
            fclose(f);
        }
    }
    if (argc > 1 && atof(argv[1]) > 0) sleep_ms((long)(atof(argv[1]) * 1000));
    if (pipe(pipe_fds) != 0) return 1;
    pthread_barrier_init(&start_line, NULL, 5);
    pthread_t t[4];
    for (long i = 0; i < 4; i++) pthread_create(&t[i], NULL, run, (void*)i);
    pthread_barrier_wait(&start_line);
    for (int i = 0; i < 4; i++) pthread_join(t[i], NULL);
    return 0;
}
