// Binary whose symbols the golden scripts point samples at. Never run: only its ELF
// symbols, build-id, DWARF and CFI matter. noinline keeps every function a symbol of its own.
// Built twice (CMakeLists.txt): golden_app with frame pointers for the fp scripts, and
// golden_app_nofp (-O2, no frame pointers, .eh_frame only) for the -g dwarf scripts, where
// transform and aligned give frames whose CFA is not simply rsp + 8.
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

// Locals that live across calls: a frame of its own (without frame pointers, CFA = rsp + N).
NOINLINE int transform(int x) {
    volatile int table[16];
    for (int i = 0; i < 16; ++i) table[i] = x + i;
    const int a = parse_input(table[3]);
    const int b = render(table[7]);
    return a + b + table[1];
}

// An over-aligned local: the frame is realigned, so even without frame pointers its CFA is
// computed from rbp, which it saves first.
NOINLINE int aligned(int x) {
    _Alignas(64) volatile int lane[16];
    lane[0] = x;
    return render(lane[0]) + lane[0];
}

int main(int argc, char** argv) {
    (void)argv;
    return parse_input(argc) + render(argc) + transform(argc) + aligned(argc);
}
