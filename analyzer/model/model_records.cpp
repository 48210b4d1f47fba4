#include "analyzer/model/model_records.h"

#include <string>

#include "formats/perf_records.h"

namespace kiln::analyzer {

void apply_record(ProcessModel& model, const perf_event_header& h, std::span<const uint8_t> rec) {
    switch (h.type) {
        case PERF_RECORD_MMAP:
        case PERF_RECORD_MMAP2:
            if (auto m = format::parse_mmap(rec))
                model.mmap(static_cast<int32_t>(m->pid), m->addr, m->len, m->pgoff, m->prot, std::string(m->filename),
                           m->build_id);
            break;
        case PERF_RECORD_COMM:
            if (auto c = format::parse_comm(rec))
                model.comm(static_cast<int32_t>(c->pid), static_cast<int32_t>(c->tid), std::string(c->comm), c->exec);
            break;
        case PERF_RECORD_FORK:
            if (auto f = format::parse_task(rec))
                model.fork(static_cast<int32_t>(f->pid), static_cast<int32_t>(f->ppid), static_cast<int32_t>(f->tid));
            break;
        case PERF_RECORD_EXIT:
            if (auto e = format::parse_task(rec)) model.exit(static_cast<int32_t>(e->pid), static_cast<int32_t>(e->tid));
            break;
        default: break;
    }
}

}  // namespace kiln::analyzer
