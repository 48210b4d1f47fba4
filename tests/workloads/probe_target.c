/* A uprobe target with known hit counts: probed() is called exactly 3000 times from
 * caller_a() and exactly 1000 times from caller_b(), both called once from main. */
#if defined(__clang__)
#define KEEP __attribute__((noinline, used))
#else
/* noipa: no inlining, cloning, constant propagation or identical-code folding. */
#define KEEP __attribute__((noipa, used))
#endif

volatile unsigned long sink;

KEEP int probed(int x) {
    unsigned long v = sink;
    for (int i = 0; i < 16; i++) v = v * 6364136223846793005UL + (unsigned long)(x + i);
    sink = v;
    return (int)(v >> 33);
}

/* The sum is used after the loop, so no call to probed() is a tail call. */
KEEP int caller_a(void) {
    int sum = 0;
    for (int i = 0; i < 3000; i++) sum += probed(i);
    sink += (unsigned long)sum;
    return sum;
}

KEEP int caller_b(void) {
    int sum = 0;
    for (int i = 0; i < 1000; i++) sum ^= probed(i);
    sink += (unsigned long)sum;
    return sum;
}

int main(void) {
    const int a = caller_a();
    const int b = caller_b();
    sink += (unsigned long)(a ^ b);
    return 0;
}
