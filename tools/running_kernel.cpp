#include "tools/running_kernel.h"

#include "formats/perf_data_import.h"
#include "recorder/sideband/sideband_collect.h"

namespace kiln::tools {

void use_running_kernel_for_perf_data() {
    format::set_running_kernel_source([]() -> Result<format::RunningKernel> {
        auto symbols = recorder::read_kallsyms_payload();
        if (!symbols) return symbols.error();
        auto image = recorder::read_kernel_image(*symbols);
        if (!image) return image.error();
        format::RunningKernel k;
        k.kallsyms_folded.assign(symbols->payload.begin(), symbols->payload.end());
        k.image = std::move(*image);
        if (auto modules = recorder::read_modules()) k.modules = std::move(*modules);
        return k;
    });
    format::set_kallsyms_file_source([](const std::string& path) -> Result<format::RunningKernel> {
        auto symbols = recorder::read_kallsyms_payload(path);
        if (!symbols) return symbols.error();
        format::RunningKernel k;
        k.kallsyms_folded.assign(symbols->payload.begin(), symbols->payload.end());
        k.image.text_start = symbols->text_start;
        k.image.text_end = symbols->text_end;
        return k;
    });
    format::set_local_build_id_source([](const std::string& path) {
        auto id = recorder::read_build_id(path);
        return id ? std::move(*id) : std::vector<uint8_t>{};
    });
}

}  // namespace kiln::tools
