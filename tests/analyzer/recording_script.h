// Builds a .kiln recording from a small text script, so analyzer tests (goldens among them)
// get exact, repeatable inputs whose addresses come from binaries the test build made.
//
//   event NAME clock|count FREQ      a sampling event (first one also carries the sideband)
//   binary ALIAS PATH                 name a binary for the lines below
//   mmap PID BASE ALIAS [BUILDID|noid] one MMAP2 per executable PT_LOAD of ALIAS at load base BASE;
//                                     the build-id is read from the file unless given
//   comm PID TID NAME [exec]
//   fork PID PPID TID
//   ksym ADDR NAME [MODULE]           a kallsyms text symbol
//   perfmap PID START SIZE NAME       a perf-PID.map line
//   round                             a ROUND_END marker
//   sample TIME PID TID CPU PERIOD FRAME...   leaf first; FRAME is one of
//        k:SYMBOL+OFF   kernel address from the ksym lines
//        u:ALIAS:SYMBOL+OFF  user address of an ELF symbol of ALIAS loaded at its mmap base of PID
//        a:0xADDR       a raw user address
//   Times are nanoseconds after the recording's start (1'000'000'000 = 1 s).
#pragma once

#include <string>

#include "formats/result.h"

namespace kiln::testing {

// Writes the recording described by script to out_path. Errors name the script line.
Status write_recording_from_script(const std::string& script, const std::string& out_path);

}  // namespace kiln::testing
