// The tools that build -g dwarf samples for the goldens, checked on their own: the readelf
// table reader, the stack synthesizer's documented layout, and the script's errors.
#include <gtest/gtest.h>

#include <cstring>

#include "tests/analyzer/dwarf_stack.h"
#include "tests/analyzer/eh_frame_table.h"
#include "tests/analyzer/recording_script.h"
#include "tests/temp_dir.h"

namespace kiln::testing {
namespace {

// Shaped like readelf 2.40's output for golden_app_nofp: a CIE, an FDE that keeps the CIE's
// rules, one with rows of its own, one that saves rbp and computes its CFA from it.
constexpr const char* kReadelf = R"(Contents of the .eh_frame section:


00000030 0000000000000014 00000000 CIE "zR" cf=1 df=-8 ra=16
   LOC           CFA      ra    
0000000000000000 rsp+8    c-8   

00000088 0000000000000010 0000005c FDE cie=00000030 pc=0000000000001160..000000000000118c

000000c4 0000000000000014 00000098 FDE cie=00000030 pc=00000000000011c0..0000000000001202
   LOC           CFA      ra    
00000000000011c0 rsp+8    c-8   
00000000000011c4 rsp+80   c-8   
00000000000011fd rsp+8    c-8   

000000dc 000000000000001c 000000b0 FDE cie=00000030 pc=0000000000001210..000000000000122e
   LOC           CFA      rbp   ra    
0000000000001210 rsp+8    u     c-8   
0000000000001211 rsp+16   c-16  c-8   
0000000000001214 rbp+16   c-16  c-8   
000000000000122b rsp+8    c-16  c-8   

00000114 ZERO terminator
)";

uint64_t word(const SyntheticUserStack& s, uint64_t addr) {
    uint64_t v = 0;
    std::memcpy(&v, s.stack.data() + (addr - s.sp), 8);
    return v;
}

TEST(RecordingScriptDwarf, ReadsReadelfRows) {
    auto t = EhFrameTable::parse(kReadelf);
    ASSERT_TRUE(t.ok()) << t.error().message;
    EXPECT_EQ(t->fde_count(), 3u);
    EXPECT_EQ(t->row_at(0x1170)->cfa, "rsp+8");  // the CIE's rule
    EXPECT_EQ(t->row_at(0x11c3)->cfa, "rsp+8");
    EXPECT_EQ(t->row_at(0x11e5)->cfa, "rsp+80");
    EXPECT_EQ(t->row_at(0x1222)->cfa, "rbp+16");
    EXPECT_EQ(t->row_at(0x1222)->regs.at("rbp"), "c-16");
    EXPECT_EQ(t->row_at(0x1210)->regs.at("rbp"), "u");
    EXPECT_EQ(t->row_at(0x1300), nullptr);
}

TEST(RecordingScriptDwarf, StackLayoutFollowsTheRows) {
    auto t = EhFrameTable::parse(kReadelf);
    ASSERT_TRUE(t.ok());
    const uint64_t sp = 0x7000;
    // leaf at 0x1170 (rsp+8) called from 0x11e5's frame (rsp+80) called from 0x1222's (rbp+16).
    auto s = synthesize_user_stack({{0x1170, t->row_at(0x1170), "leaf"},
                                    {0x11e6, t->row_at(0x11e5), "middle"},
                                    {0x1223, t->row_at(0x1222), "outer"}},
                                   sp);
    ASSERT_TRUE(s.ok()) << s.error().message;
    EXPECT_EQ(s->ip, 0x1170u);
    EXPECT_EQ(s->sp, sp);
    // CFAs: sp+8, then +80, then +16+64 (a realigned frame) from there.
    const uint64_t cfa0 = sp + 8, cfa1 = cfa0 + 80, cfa2 = cfa1 + 16 + 64;
    ASSERT_EQ(s->stack.size(), cfa2 - sp);
    EXPECT_EQ(s->return_slots, (std::vector<uint64_t>{cfa0 - 8, cfa1 - 8, cfa2 - 8}));
    EXPECT_EQ(word(*s, cfa0 - 8), 0x11e6u);
    EXPECT_EQ(word(*s, cfa1 - 8), 0x1223u);
    EXPECT_EQ(word(*s, cfa2 - 8), 0u);  // the outermost frame
    EXPECT_EQ(s->bp, cfa2 - 16);        // no inner frame saved rbp: the register holds it
    EXPECT_EQ(word(*s, cfa2 - 16), kStackFiller);  // the outer frame's caller's rbp: unused
    EXPECT_EQ(word(*s, sp + 16), kStackFiller);
}

TEST(RecordingScriptDwarf, RefusesRulesItCannotFollow) {
    CfaRow exp{0x1030, "exp", {{"ra", "c-8"}}};
    auto s = synthesize_user_stack({{0x1030, &exp, "plt"}}, 0x7000);
    ASSERT_FALSE(s.ok());
    EXPECT_NE(s.error().message.find("plt"), std::string::npos) << s.error().message;
    EXPECT_FALSE(synthesize_user_stack({{0x1, nullptr, "nowhere"}}, 0x7000).ok());
}

TEST(RecordingScriptDwarf, ScriptErrorsNameTheLine) {
    const kiln::test::TempDir tmp;
    const std::string out = tmp.path("bad.kiln");
    Status st = write_recording_from_script("event cpu-clock clock 1000\ndsample 1 1 1 0 1 a:0x1000\n", out);
    ASSERT_FALSE(st.ok());
    EXPECT_NE(st.error().message.find("line 2: dsample needs a dwarf event"), std::string::npos) << st.error().message;
    st = write_recording_from_script("event cpu-clock clock 1000 dwarf 8192\nsample 1 1 1 0 1 a:0x1000\n", out);
    ASSERT_FALSE(st.ok());
    EXPECT_NE(st.error().message.find("line 2"), std::string::npos) << st.error().message;
    st = write_recording_from_script("event cpu-clock clock 1000 dwarf 100\n", out);
    EXPECT_FALSE(st.ok());
    st = write_recording_from_script("event cpu-clock clock 1000 dwarf 64\ndsample 1 1 1 0 1 c:app:main\n", out);
    ASSERT_FALSE(st.ok());
    EXPECT_NE(st.error().message.find("needs a frame below it"), std::string::npos) << st.error().message;
}

}  // namespace
}  // namespace kiln::testing
