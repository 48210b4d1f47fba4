// Feeds a ProcessModel from the kernel records that change it (MMAP/MMAP2, COMM, FORK, EXIT),
// parsed through formats/perf_records.h. One function for every pass over a recording
// (analyze.cpp's Session, the Perfetto collector), so they see the same processes.
#pragma once

#include <linux/perf_event.h>

#include <cstdint>
#include <span>

#include "analyzer/model/process_model.h"

namespace kiln::analyzer {

// Records of other types, and records that do not parse, leave the model as it is.
void apply_record(ProcessModel& model, const perf_event_header& h, std::span<const uint8_t> record);

}  // namespace kiln::analyzer
