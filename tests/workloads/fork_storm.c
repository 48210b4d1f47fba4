/* A fork storm with a known count: forks argv[1] children (default 10000), at most 64 alive at a
 * time; each child calls short_life() and exits at once. The parent reaps them all and prints
 * how many it forked. */
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

volatile unsigned long sink;

__attribute__((noinline)) void short_life(void) {
    for (unsigned long i = 0; i < 1000; i++) sink += i;
}

int main(int argc, char** argv) {
    const long n = argc > 1 ? atol(argv[1]) : 10000;
    long forked = 0, alive = 0;
    while (forked < n) {
        if (alive == 64) {
            if (wait(NULL) > 0) alive--;
            continue;
        }
        const pid_t pid = fork();
        if (pid < 0) {
            perror("fork");
            break;
        }
        if (pid == 0) {
            short_life();
            _exit(0);
        }
        forked++;
        alive++;
    }
    while (wait(NULL) > 0) {}
    printf("%ld\n", forked);
    return forked == n ? 0 : 1;
}
