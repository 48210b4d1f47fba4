// kiln-analyze's source of whole kernel-symbol tables for recordings that hold only a
// KALLSYMS_REF (4.3; their recorder was killed before the file's end): kiln's own cache of the
// kernel's symbols (recorder/sideband/compressed_payload_cache.h) on this machine.
#pragma once

namespace kiln::tools {

// Registers the cache with the analyzer (analyzer/decode/record_stream.h).
void use_kernel_symbols_cache();

}  // namespace kiln::tools
