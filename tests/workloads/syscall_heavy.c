/* Spends most of its CPU time in the kernel: reads 64 KiB blocks from /dev/zero (the kernel
 * clears the user buffer) from read_zeros(). Runs for the CPU seconds given as argv[1]
 * (default 1.0) and prints the CPU time it used. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

static double cpu_seconds(void) {
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static char buf[65536];

__attribute__((noinline)) void read_zeros(int fd, double seconds) {
    double start = cpu_seconds();
    while (cpu_seconds() - start < seconds)
        for (int i = 0; i < 64; i++)
            if (read(fd, buf, sizeof buf) != (ssize_t)sizeof buf) exit(1);
}

int main(int argc, char** argv) {
    int fd = open("/dev/zero", O_RDONLY);
    if (fd < 0) return 1;
    read_zeros(fd, argc > 1 ? atof(argv[1]) : 1.0);
    printf("%.6f\n", cpu_seconds());
    return 0;
}
