#include "recorder/trigger_spec.h"

#include <charconv>
#include <cmath>
#include <cstdio>

#include "pmu/uprobes.h"
#include "recorder/sideband/text_fields.h"

namespace kiln::recorder {

namespace {

constexpr const char* kForms =
    "expected one of load>=N, psi:cpu|memory|io[.full]>=P%, cpu:PID>=P%, signal, event:EVENT[/N]";

Error bad(std::string_view text, const std::string& why) {
    return make_error("--trigger '" + std::string(text) + "': " + why);
}

// "12.5" -> 12.5 with from_chars: no locale, and the whole text must be the number.
bool parse_decimal(std::string_view s, double& out) {
    if (s.empty() || s.front() == '+' || s.front() == '-') return false;
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), out, std::chars_format::fixed);
    return ec == std::errc() && end == s.data() + s.size() && std::isfinite(out);
}

// Splits "NAME>=VALUE" at ">="; a lone '>' or '=' gets an error naming ">=".
Result<std::pair<std::string_view, std::string_view>> split_comparison(std::string_view text,
                                                                       std::string_view body,
                                                                       const char* form) {
    const size_t ge = body.find(">=");
    if (ge == std::string_view::npos) {
        if (body.find_first_of("><=") != std::string_view::npos)
            return bad(text, std::string("only '>=' compares here; expected ") + form);
        return bad(text, std::string("missing '>=' threshold; expected ") + form);
    }
    return std::pair{body.substr(0, ge), body.substr(ge + 2)};
}

// "50%" -> 50, within (0, max] (max 0: no upper bound).
Result<double> parse_percent(std::string_view text, std::string_view value, double max, const char* form) {
    double p = 0;
    if (value.empty() || value.back() != '%' || !parse_decimal(value.substr(0, value.size() - 1), p))
        return bad(text, std::string("'").append(value) + "' is not a percentage; expected " + form);
    if (p <= 0) return bad(text, "the threshold must be above 0%; expected " + std::string(form));
    if (max > 0 && p > max) {
        char buf[96];
        std::snprintf(buf, sizeof buf, "a stall share cannot exceed %g%%; expected ", max);
        return bad(text, buf + std::string(form));
    }
    return p;
}

Result<TriggerSpec> parse_load(std::string_view text, std::string_view body) {
    constexpr const char* form = "load>=N with N a whole number of runnable tasks >= 1 (e.g. load>=8)";
    auto cmp = split_comparison(text, body, form);
    if (!cmp) return cmp.error();
    if (!cmp->first.empty()) return bad(text, std::string("expected ") + form);
    uint32_t n = 0;
    if (!sideband::parse_number(cmp->second, 10, n) || n == 0)
        return bad(text, std::string("'").append(cmp->second) + "' is not a task count >= 1; expected " + form);
    TriggerSpec s;
    s.kind = TriggerKind::kLoad;
    s.threshold = n;
    return s;
}

Result<TriggerSpec> parse_psi(std::string_view text, std::string_view body) {
    constexpr const char* form = "psi:cpu|memory|io[.full]>=P% with 0 < P <= 100 (e.g. psi:io.full>=10%)";
    auto cmp = split_comparison(text, body, form);
    if (!cmp) return cmp.error();
    TriggerSpec s;
    s.kind = TriggerKind::kPsi;
    std::string_view res = cmp->first;
    if (res.size() > 5 && res.substr(res.size() - 5) == ".full") {
        s.full = true;
        res.remove_suffix(5);
    }
    if (res == "cpu") s.resource = PsiResource::kCpu;
    else if (res == "memory") s.resource = PsiResource::kMemory;
    else if (res == "io") s.resource = PsiResource::kIo;
    else return bad(text, "unknown pressure resource '" + std::string(res) + "'; expected " + form);
    // The kernel prints cpu's "full" line as zeros for the whole machine (it is only defined
    // for cgroups): such a trigger could never fire.
    if (s.full && s.resource == PsiResource::kCpu)
        return bad(text, "the machine's cpu 'full' pressure is always 0; use psi:cpu>=P% (some)");
    auto p = parse_percent(text, cmp->second, 100, form);
    if (!p) return p.error();
    s.threshold = *p;
    return s;
}

Result<TriggerSpec> parse_cpu(std::string_view text, std::string_view body) {
    constexpr const char* form = "cpu:PID>=P% (e.g. cpu:1234>=150% for one and a half CPUs)";
    auto cmp = split_comparison(text, body, form);
    if (!cmp) return cmp.error();
    TriggerSpec s;
    s.kind = TriggerKind::kCpuShare;
    if (!sideband::parse_number(cmp->first, 10, s.pid) || s.pid <= 0)
        return bad(text, std::string("'").append(cmp->first) + "' is not a pid; expected " + form);
    auto p = parse_percent(text, cmp->second, 0, form);
    if (!p) return p.error();
    s.threshold = *p;
    return s;
}

Result<TriggerSpec> parse_event(std::string_view text, std::string_view body) {
    constexpr const char* form =
        "event:EVENT[/N] with a tracepoint (event:sched:sched_process_exec) or a uprobe "
        "(event:uprobe:PATH:SYMBOL[+OFFSET]/N), N >= 1 hits";
    TriggerSpec s;
    s.kind = TriggerKind::kEvent;
    s.threshold = 1;
    // "/N" only when all digits after the last '/': a uprobe's path holds slashes too.
    const size_t slash = body.rfind('/');
    if (slash != std::string_view::npos && slash + 1 < body.size() &&
        body.find_first_not_of("0123456789", slash + 1) == std::string_view::npos) {
        uint64_t n = 0;
        if (!sideband::parse_number(body.substr(slash + 1), 10, n) || n == 0)
            return bad(text, "the hit count must be a whole number >= 1; expected " + std::string(form));
        s.threshold = static_cast<double>(n);
        body = body.substr(0, slash);
    }
    if (body.empty()) return bad(text, std::string("no event named; expected ") + form);
    if (pmu::is_uprobe_spec(body)) {
        if (auto u = pmu::parse_uprobe_spec(body); !u) return bad(text, u.error().message);
    } else {
        const size_t colon = body.find(':');
        if (colon == std::string_view::npos || colon == 0 || colon + 1 == body.size() ||
            body.find(':', colon + 1) != std::string_view::npos)
            return bad(text, std::string("'").append(body) + "' is neither a tracepoint nor a uprobe; expected " + form);
    }
    s.event = std::string(body);
    return s;
}

}  // namespace

const char* psi_resource_name(PsiResource resource) {
    switch (resource) {
        case PsiResource::kCpu: return "cpu";
        case PsiResource::kMemory: return "memory";
        case PsiResource::kIo: return "io";
    }
    return "?";
}

Result<TriggerSpec> parse_trigger(std::string_view text) {
    auto starts = [&](std::string_view prefix) { return text.substr(0, prefix.size()) == prefix; };
    Result<TriggerSpec> r = bad(text, kForms);
    if (text == "signal") {
        TriggerSpec s;
        s.kind = TriggerKind::kSignal;
        r = s;
    } else if (starts("load")) {
        r = parse_load(text, text.substr(4));
    } else if (starts("psi:")) {
        r = parse_psi(text, text.substr(4));
    } else if (starts("cpu:")) {
        r = parse_cpu(text, text.substr(4));
    } else if (starts("event:")) {
        r = parse_event(text, text.substr(6));
    }
    if (r) r->text = std::string(text);
    return r;
}

std::string describe(const TriggerSpec& spec) {
    char buf[160];
    switch (spec.kind) {
        case TriggerKind::kLoad:
            std::snprintf(buf, sizeof buf, "runnable tasks >= %.0f", spec.threshold);
            return buf;
        case TriggerKind::kPsi:
            std::snprintf(buf, sizeof buf, "%s pressure (%s) >= %g%% of the last second",
                          psi_resource_name(spec.resource), spec.full ? "full" : "some", spec.threshold);
            return buf;
        case TriggerKind::kCpuShare:
            std::snprintf(buf, sizeof buf, "CPU use of pid %d >= %g%% over the last second", spec.pid, spec.threshold);
            return buf;
        case TriggerKind::kSignal: return "SIGUSR2 to kiln";
        case TriggerKind::kEvent:
            std::snprintf(buf, sizeof buf, "%.0f hit%s of ", spec.threshold, spec.threshold == 1 ? "" : "s");
            return buf + spec.event;
    }
    return spec.text;
}

}  // namespace kiln::recorder
