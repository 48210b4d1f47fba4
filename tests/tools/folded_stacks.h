// Sums over folded stacks ("frame;...;leaf" -> value, as parse_folded gives them), shared by
// the allocation tests.
#pragma once

#include <map>
#include <string>

namespace kiln::test {

// Sum of the stacks that pass through frame (";frame;" or ending in ";frame").
double under(const std::map<std::string, double>& stacks, const std::string& frame);
// Sum of the stacks whose leaf contains callee (glibc's debug symbols name malloc
// __GI___libc_malloc) and whose leaf's caller is caller.
double calls(const std::map<std::string, double>& stacks, const std::string& caller, const std::string& callee);
// The stacks as text, cut to a length a failure's message can show.
std::string dump(const std::map<std::string, double>& stacks);

}  // namespace kiln::test
