// Test program for the symbolizer tests: a C++ method (namespaced, mangled) with a function
// always inlined into it. The LINE: markers let the tests find line numbers. Built as
// executables and as a shared library (tests/analyzer/CMakeLists.txt).
namespace demo {

struct Widget {
    int spin(int n);
};

static inline __attribute__((always_inline)) int inner_step(int x) {  // LINE:inner_def
    return (x * 7 + 3) ^ (x >> 2);  // LINE:inner_body
}

__attribute__((noinline)) int Widget::spin(int n) {  // LINE:spin_def
    int acc = 0;
    for (int i = 0; i < n; ++i) acc += inner_step(acc + i);  // LINE:call_site
    return acc;
}

}  // namespace demo

int main(int argc, char**) {  // LINE:main_def
    demo::Widget w;
    return w.spin(argc * 1000);
}
