// The program golden_app's child execs in the exec_fork golden script. Never run.
#define NOINLINE __attribute__((noinline))

volatile int sink;

NOINLINE int other_work(int x) {
    for (int i = 0; i < x; ++i) sink ^= i;
    return sink;
}

int main(int argc, char** argv) {
    (void)argv;
    return other_work(argc);
}
