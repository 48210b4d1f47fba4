/* A tiny JIT: copies a countdown loop into anonymous executable memory, names it in
 * /tmp/perf-PID.map as "jitted_countdown" (as JIT runtimes do for perf), and spends its CPU
 * time there. Runs for the CPU seconds given as argv[1] (default 1.0), prints the CPU time
 * it used. x86-64 only. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

static double cpu_seconds(void) {
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char** argv) {
#if defined(__x86_64__)
    /* mov rax, rdi; loop: dec rax; jnz loop; ret */
    static const unsigned char code[] = {0x48, 0x89, 0xf8, 0x48, 0xff, 0xc8, 0x75, 0xfb, 0xc3};
    double seconds = argc > 1 ? atof(argv[1]) : 1.0;
    unsigned char* mem = mmap(NULL, 4096, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (mem == MAP_FAILED) return 1;
    memcpy(mem + 64, code, sizeof code);
    char path[64];
    snprintf(path, sizeof path, "/tmp/perf-%d.map", (int)getpid());
    FILE* map = fopen(path, "w");
    if (!map) return 1;
    fprintf(map, "%lx %zx jitted_countdown\n", (unsigned long)(mem + 64), sizeof code);
    fclose(map);
    unsigned long (*countdown)(unsigned long) = (unsigned long (*)(unsigned long))(void*)(mem + 64);
    double start = cpu_seconds();
    while (cpu_seconds() - start < seconds) countdown(20000000UL);
    printf("%.6f\n", cpu_seconds());
    return 0;
#else
    (void)argc;
    (void)argv;
    fprintf(stderr, "jit_spin: x86-64 only\n");
    return 1;
#endif
}
