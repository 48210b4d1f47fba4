// How many data pages each per-CPU ring buffer gets: enough for about half a second of
// records at the requested rate, so a drain loop delayed by a loaded machine loses nothing.
#pragma once

#include <cstddef>
#include <cstdint>

#include "recorder/record_options.h"

namespace kiln::recorder {

size_t ring_data_pages(const RecordOptions& opt, size_t event_count, size_t page_size);

}  // namespace kiln::recorder
