#include "analyzer/output/gzip.h"

#define ZLIB_CONST  // next_in is const: no const_cast of the input
#include <zlib.h>

#include <algorithm>

namespace kiln::analyzer {

// gzip (not zlib) framing: deflateInit2 with windowBits 15 + 16. Fed in steps that fit
// zlib's 32-bit counters, so any size the serializer produced compresses.
Result<std::vector<uint8_t>> gzip(std::string_view raw) {
    z_stream z{};
    if (deflateInit2(&z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
        return make_error("zlib deflateInit2 failed");
    constexpr size_t kStep = size_t{1} << 30;
    std::vector<uint8_t> out(deflateBound(&z, raw.size()));
    size_t in_done = 0;
    size_t out_done = 0;
    int rc = Z_OK;
    while (rc == Z_OK) {
        if (out_done == out.size()) out.resize(out.size() + out.size() / 2 + 64);
        const size_t in_n = std::min(raw.size() - in_done, kStep);
        const size_t out_n = std::min(out.size() - out_done, kStep);
        z.next_in = reinterpret_cast<const Bytef*>(raw.data() + in_done);
        z.avail_in = static_cast<uInt>(in_n);
        z.next_out = out.data() + out_done;
        z.avail_out = static_cast<uInt>(out_n);
        rc = deflate(&z, in_done + in_n == raw.size() ? Z_FINISH : Z_NO_FLUSH);
        in_done += in_n - z.avail_in;
        out_done += out_n - z.avail_out;
    }
    deflateEnd(&z);
    if (rc != Z_STREAM_END) return make_error("gzip compression failed (zlib error " + std::to_string(rc) + ")");
    out.resize(out_done);
    return out;
}

}  // namespace kiln::analyzer
