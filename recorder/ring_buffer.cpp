#include "recorder/ring_buffer.h"
#include "formats/perf_records.h"

#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace kiln::recorder {

size_t RecordSink::copy_sample(const uint8_t* record, size_t n, uint8_t* out) {
    std::memcpy(out, record, n);
    return n;
}

RingBuffer::~RingBuffer() {
    if (base_ != nullptr) ::munmap(base_, map_size_);
}

RingBuffer::RingBuffer(RingBuffer&& o) noexcept
    : fd_(o.fd_), cpu_(o.cpu_), base_(o.base_), map_size_(o.map_size_), data_size_(o.data_size_),
      data_(o.data_), meta_(o.meta_) {
    o.base_ = nullptr;
}

Status RingBuffer::map(int fd, size_t data_pages, int cpu) {
    const size_t page = static_cast<size_t>(::sysconf(_SC_PAGESIZE));
    map_size_ = (data_pages + 1) * page;
    void* p = ::mmap(nullptr, map_size_, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (p == MAP_FAILED) {
        int e = errno;
        std::string hint = e == EPERM ? " (locked-memory limit: raise /proc/sys/kernel/perf_event_mlock_kb, "
                                        "ulimit -l, or use a smaller -m)"
                                      : "";
        return make_error("cannot map a " + std::to_string(data_pages) + "-page ring buffer for CPU " +
                          std::to_string(cpu) + ": " + std::strerror(e) + hint);
    }
    fd_ = fd;
    cpu_ = cpu;
    base_ = p;
    meta_ = static_cast<perf_event_mmap_page*>(p);
    data_ = static_cast<uint8_t*>(p) + meta_->data_offset;
    data_size_ = meta_->data_size;
    return {};
}

bool RingBuffer::drain(RecordSink& sink, DrainCounters& counters) {
    if (base_ == nullptr) return false;
    const uint64_t head = __atomic_load_n(&meta_->data_head, __ATOMIC_ACQUIRE);
    uint64_t tail = meta_->data_tail;
    const uint64_t mask = data_size_ - 1;
    bool more = false;
    while (tail < head) {
        perf_event_header h;
        // Headers are 8-byte aligned and the ring size is a power of two: never split.
        std::memcpy(&h, data_ + (tail & mask), sizeof h);
        if (h.size < sizeof h || h.size > head - tail) break;  // cannot happen unless the ring is corrupt
        const uint8_t* rec;
        const size_t off = tail & mask;
        if (off + h.size <= data_size_) {
            rec = data_ + off;
        } else {
            const size_t first = data_size_ - off;
            std::memcpy(wrap_scratch_, data_ + off, first);
            std::memcpy(wrap_scratch_ + first, data_, h.size - first);
            rec = wrap_scratch_;
        }
        const bool sample = h.type == PERF_RECORD_SAMPLE;
        uint8_t* dst = sink.reserve(sample ? RecordSink::sample_room(h.size) : h.size);
        if (dst == nullptr) {
            more = true;
            break;
        }
        if (sample) {
            ++counters.samples;
            counters.bytes += sink.copy_sample(rec, h.size, dst);
        } else {
            std::memcpy(dst, rec, h.size);
            counters.bytes += h.size;
        }
        switch (h.type) {
            case PERF_RECORD_LOST:
                if (auto lost = format::parse_lost({rec, h.size})) {
                    counters.lost_records += lost->lost;
                    ++counters.lost_events;
                }
                break;
            case PERF_RECORD_LOST_SAMPLES:
                if (auto lost = format::parse_lost_samples({rec, h.size})) counters.lost_samples += lost->lost;
                break;
            case PERF_RECORD_THROTTLE: ++counters.throttles; break;
            case PERF_RECORD_UNTHROTTLE: ++counters.unthrottles; break;
            case PERF_RECORD_MMAP2:
            case PERF_RECORD_COMM:
            case PERF_RECORD_FORK:
            case PERF_RECORD_EXIT: sink.on_sideband_record(h, dst); break;
            default: break;
        }
        tail += h.size;
    }
    __atomic_store_n(&meta_->data_tail, tail, __ATOMIC_RELEASE);
    return more;
}

}  // namespace kiln::recorder
