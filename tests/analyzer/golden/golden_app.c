// Binary whose symbols the golden scripts point samples at. Never run: only its ELF
// symbols, build-id and DWARF matter. noinline keeps every function a symbol of its own.
#define NOINLINE __attribute__((noinline))

volatile int sink;

NOINLINE int leaf_work(int x) {
    for (int i = 0; i < x; ++i) sink += i;
    return sink;
}

NOINLINE int parse_input(int x) { return leaf_work(x) + 1; }

NOINLINE int render(int x) {
    sink = x * 3;
    return leaf_work(x / 2) + sink;
}

int main(int argc, char** argv) {
    (void)argv;
    return parse_input(argc) + render(argc);
}
