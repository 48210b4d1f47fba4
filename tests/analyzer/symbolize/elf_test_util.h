// What the symbolizer tests need to know about their test binaries, read independently
// of the code under test: symbol addresses, file offsets and source line markers.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "analyzer/symbolize/binary_locator.h"

namespace kiln::testing {

struct ElfSymbol {
    uint64_t vaddr = 0;
    uint64_t size = 0;
};

// A function symbol of the binary's .symtab by (mangled) name; size 0 when absent.
ElfSymbol find_symbol(const std::string& path, const std::string& name);
// File offset of an ELF virtual address (through PT_LOAD), ~0 when unmapped.
uint64_t file_offset_of(const std::string& path, uint64_t vaddr);
// 1-based line of the first line of a source file containing marker.
int marker_line(const std::string& source, const std::string& marker);
// Runs a shell command, failing the test when it fails.
void shell(const std::string& cmd);
// The binary's GNU build-id as the analyzer reads it, failing the test unless it is 20 bytes.
std::vector<uint8_t> build_id_of(const std::string& path);
// Locator options that look only where the test points: no system debug dirs, no debuginfod.
analyzer::LocatorOptions no_system_dirs();

}  // namespace kiln::testing
