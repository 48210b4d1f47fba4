// The text of each analyzer stage that the golden files hold, one function per stage:
//   decoded records  what stream_recording() delivers, one line per record, in its order
//   unwound frames   each stack StackBuilder made (AnalyzeOptions::on_stack): raw frames,
//                    before symbolization
//   folded stacks    the symbolized profile (unresolved offsets as +0xOFF)
// Addresses the script named are written in its words ("u:app:leaf_work+2"; "c:app:main>render
// -1" is the byte before that return address, where unwinders look up the call), so the text
// does not change with the compiler's layout; any other address is written as a number.
#pragma once

#include <cstdint>
#include <string>

#include "analyzer/analyze.h"
#include "analyzer/unwind/stack_builder.h"
#include "formats/result.h"
#include "tests/analyzer/recording_script.h"

namespace kiln::testing {

Result<std::string> decoded_records_text(const std::string& recording, const ScriptFacts& facts);
// Appends the stack, with its sample's time (ns after the script's start), pid/tid and mark.
void append_unwound_stack(const analyzer::UnwoundStack& stack, const ScriptFacts& facts, std::string& out);
std::string folded_text(const analyzer::Analysis& a);

}  // namespace kiln::testing
