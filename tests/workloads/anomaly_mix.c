/* A steady CPU mix on two threads with kinds of trouble injected at known times, for the
 * anomalies view. For argv[1] seconds (default 5) of wall time, each thread splits its CPU time
 * 60:40 between steady_a and steady_b in slices of random length. argv[2] says what is injected,
 * in seconds after the program starts:
 *   steady     nothing;
 *   syscalls   1.2-1.6: the main thread makes getppid() calls in a loop (syscall_burst);
 *   convoy     1.2-1.6: both threads take one mutex around their work (convoy_critical): a lock
 *              convoy, one thread runs while the other waits;
 *   alloc      1.2-1.6: the main thread mallocs, touches and frees blocks of 1 KiB to 256 KiB
 *              (alloc_burst);
 *   all        for 0.4 s each, at 1/5, 2/5, 3/5 and 4/5 of the run: syscalls, convoy, alloc and
 *              syscalls again (1.0, 2.0, 3.0 and 4.0 s in a 5 s run): four ranges of three kinds.
 * The helpers that call libc keep a frame of their own, so a sample in a frameless libc leaf
 * still shows the burst function on a frame-pointer stack. */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

volatile unsigned long sink;

struct injection {
    const char* what;
    double from, to;
};
static struct injection injections[4];
static int injection_count;
static double start_s, run_s;
static pthread_mutex_t convoy_lock = PTHREAD_MUTEX_INITIALIZER;

static double clock_s(clockid_t clock) {
    struct timespec ts;
    clock_gettime(clock, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}
static double now_s(void) { return clock_s(CLOCK_MONOTONIC) - start_s; }
/* The thread's own CPU time: a slice is the same share of CPU however often it is preempted. */
static double cpu_s(void) { return clock_s(CLOCK_THREAD_CPUTIME_ID); }

__attribute__((noinline)) static void spin_for(double cpu_seconds) {
    const double end = cpu_s() + cpu_seconds;
    while (cpu_s() < end)
        for (int i = 0; i < 20000; ++i) sink += (unsigned long)i * 2654435761u;
}

__attribute__((noinline)) void steady_a(double s) { spin_for(s); sink += 1; }
__attribute__((noinline)) void steady_b(double s) { spin_for(s); sink += 2; }

__attribute__((noinline)) static void one_syscall(void) { sink += (unsigned long)syscall(SYS_getppid); }
__attribute__((noinline)) void syscall_burst(double s) {
    const double end = cpu_s() + s;
    while (cpu_s() < end)
        for (int i = 0; i < 50; ++i) one_syscall();
    sink += 4;
}

__attribute__((noinline)) void convoy_critical(double s) { spin_for(s); sink += 5; }

static char* live[64];
__attribute__((noinline)) static void alloc_one(unsigned long long r) {
    const size_t slot = r % 64, size = 1024 + (size_t)(r >> 8) % (255 * 1024);
    free(live[slot]);
    live[slot] = malloc(size);
    if (!live[slot]) return;
    memset(live[slot], (int)r, size);
    sink += (unsigned char)live[slot][size / 2]; /* not a tail call: alloc_one keeps its frame */
}
__attribute__((noinline)) void alloc_burst(double s, unsigned long long* x) {
    const double end = cpu_s() + s;
    while (cpu_s() < end) {
        *x ^= *x << 13, *x ^= *x >> 7, *x ^= *x << 17;
        alloc_one(*x);
    }
    sink += 6;
}

static const char* injected_now(double t) {
    for (int i = 0; i < injection_count; ++i)
        if (t >= injections[i].from && t < injections[i].to) return injections[i].what;
    return "";
}

static void* work(void* arg) {
    const int main_thread = arg != NULL;
    unsigned long long x = main_thread ? 88172645463325252ull : 2463534242ull; /* xorshift64 */
    for (double t; (t = now_s()) < run_s;) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        /* 0.3 to 1.3 ms of CPU time: no period a sampling clock could alias with. */
        const double slice = 0.0003 + (double)(x % 1000) * 1e-6;
        const char* what = injected_now(t);
        if (strcmp(what, "convoy") == 0) {
            pthread_mutex_lock(&convoy_lock);
            convoy_critical(slice);
            pthread_mutex_unlock(&convoy_lock);
        } else if (main_thread && strcmp(what, "syscalls") == 0) {
            syscall_burst(slice);
        } else if (main_thread && strcmp(what, "alloc") == 0) {
            alloc_burst(slice, &x);
        } else if ((x >> 20) % 10 < 6) {
            steady_a(slice);
        } else {
            steady_b(slice);
        }
    }
    return NULL;
}

int main(int argc, char** argv) {
    run_s = argc > 1 ? atof(argv[1]) : 5.0;
    const char* mode = argc > 2 ? argv[2] : "all";
    if (strcmp(mode, "all") == 0) {
        static const char* const kinds[] = {"syscalls", "convoy", "alloc", "syscalls"};
        for (int i = 0; i < 4; ++i) {
            const double at = run_s * (i + 1) / 5;
            injections[i] = (struct injection){kinds[i], at, at + 0.4};
        }
        injection_count = 4;
    } else if (strcmp(mode, "steady") != 0) {
        injections[0] = (struct injection){mode, 1.2, 1.6};
        injection_count = 1;
    }
    start_s = clock_s(CLOCK_MONOTONIC);
    pthread_t other;
    if (pthread_create(&other, NULL, work, NULL) != 0) return 1;
    work(&other);
    pthread_join(other, NULL);
    return 0;
}
