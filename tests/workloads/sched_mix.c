/* Known scheduling and syscall facts for the sched, syscalls and portrait views. Three
 * threads start together, each named after its role (pthread_setname_np):
 *   spinner    spins 400 ms of its own CPU time (CLOCK_THREAD_CPUTIME_ID, whatever the load)
 *   syscaller  makes 300 openat() calls of a path that does not exist (all fail with ENOENT),
 *              200 getppid() and 100 dup(0) + close pairs (all succeed)
 *   hopper     moves itself between the first two allowed CPUs 20 times (sched_setaffinity to
 *              the one it is not on),
 *              spinning 2 ms of CPU time on each so it really runs there
 * then the main thread forks a child that execs `/bin/sh -c "exit 7"` and waits for it.
 * Every syscall goes through syscall(2) so libc caches nothing; the spinners read their CPU
 * time (a syscall for thread clocks) every ~200k iterations. Exit status 0 when the child
 * exited with 7; prints "hops N" (0 on a one-CPU machine). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define OPEN_CALLS 300
#define GETPPID_CALLS 200
#define DUP_CALLS 100
#define HOPS 20

static pthread_barrier_t start_line;
static int hops_done;
volatile unsigned long sink;

static double thread_cpu_seconds(void) {
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void spin_cpu(double seconds) {
    const double end = thread_cpu_seconds() + seconds;
    while (thread_cpu_seconds() < end)
        for (int i = 0; i < 200000; ++i) sink += (unsigned long)i * 2654435761u;
}

static void* spinner(void* arg) {
    (void)arg;
    pthread_setname_np(pthread_self(), "spinner");
    pthread_barrier_wait(&start_line);
    spin_cpu(0.4);
    return NULL;
}

static void* syscaller(void* arg) {
    (void)arg;
    pthread_setname_np(pthread_self(), "syscaller");
    pthread_barrier_wait(&start_line);
    for (int i = 0; i < OPEN_CALLS; ++i)
        if (syscall(SYS_openat, AT_FDCWD, "/nonexistent-kiln-sched-mix/file", O_RDONLY) >= 0) abort();
    for (int i = 0; i < GETPPID_CALLS; ++i) sink += (unsigned long)syscall(SYS_getppid);
    for (int i = 0; i < DUP_CALLS; ++i) {
        long fd = syscall(SYS_dup, 0);
        if (fd >= 0) syscall(SYS_close, fd);
    }
    return NULL;
}

static void* hopper(void* arg) {
    (void)arg;
    pthread_setname_np(pthread_self(), "hopper");
    cpu_set_t allowed;
    sched_getaffinity(0, sizeof allowed, &allowed);
    int cpus[2], n = 0;
    for (int c = 0; c < CPU_SETSIZE && n < 2; ++c)
        if (CPU_ISSET(c, &allowed)) cpus[n++] = c;
    pthread_barrier_wait(&start_line);
    if (n < 2) return NULL;
    for (int i = 0; i < HOPS; ++i) {
        /* Always to the CPU it is not on, so every hop is a migration. */
        const int to = sched_getcpu() == cpus[0] ? cpus[1] : cpus[0];
        cpu_set_t one;
        CPU_ZERO(&one);
        CPU_SET(to, &one);
        if (sched_setaffinity(0, sizeof one, &one) != 0) break;
        spin_cpu(0.002);
        ++hops_done;
    }
    sched_setaffinity(0, sizeof allowed, &allowed);
    return NULL;
}

int main(void) {
    pthread_t threads[3];
    void* (*roles[3])(void*) = {spinner, syscaller, hopper};
    pthread_barrier_init(&start_line, NULL, 4);
    for (int i = 0; i < 3; ++i) pthread_create(&threads[i], NULL, roles[i], NULL);
    pthread_barrier_wait(&start_line);
    for (int i = 0; i < 3; ++i) pthread_join(threads[i], NULL);
    pid_t child = fork();
    if (child == 0) {
        execl("/bin/sh", "sh", "-c", "exit 7", (char*)NULL);
        _exit(127);
    }
    int status = 0;
    waitpid(child, &status, 0);
    printf("hops %d\n", hops_done);
    return WIFEXITED(status) && WEXITSTATUS(status) == 7 ? 0 : 1;
}
