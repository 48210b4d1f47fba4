// What in an ELF file is malformed, found when the symbolizer opens it, so that `kiln analyze`
// can say why a binary's frames lost their names or its stacks stopped short, rather than
// showing the damage as if the file were whole. A binary found by build-id is not always
// intact: a disk error, a half-written copy, a file rewritten in place under the same name.
// Each check is structural and linear in the section's size: the file's length against its
// headers, the notes' headers, the symbol tables' name and section indexes, the CIE/FDE
// records of .eh_frame and .debug_frame.
// DWARF debug info is judged by the symbolizer as it indexes it (dwarf_symbolizer.cpp).
#pragma once

#include <string>
#include <vector>

typedef struct Elf Elf;

namespace kiln::analyzer {

// One entry per damaged part, e.g. ".eh_frame: malformed CIE/FDE record at offset 0x40" or
// "the file is cut short ...";
// empty when every part checked is well-formed (or absent).
std::vector<std::string> elf_damage(Elf* elf);

}  // namespace kiln::analyzer
