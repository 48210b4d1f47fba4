#include "tools/command_line_words.h"

#include <algorithm>
#include <cstdio>

#include "pmu/suggest.h"

namespace kiln::tools {

namespace {

struct KnownOption {
    std::string name;  // "--off-cpu" or "-F"
    bool takes_value = false;
};

std::vector<KnownOption> options_of(const CLI::App& app) {
    std::vector<KnownOption> out;
    for (const CLI::Option* opt : app.get_options()) {
        const bool takes_value = opt->get_type_size_max() > 0 && opt->get_expected_min() > 0;
        for (const auto& l : opt->get_lnames()) out.push_back({"--" + l, takes_value});
        for (const auto& s : opt->get_snames()) out.push_back({"-" + s, takes_value});
    }
    return out;
}

const KnownOption* find_option(const std::vector<KnownOption>& known, std::string_view name) {
    for (const auto& k : known)
        if (k.name == name) return &k;
    return nullptr;
}

bool is_call_graph_mode(const std::string& s) {
    return s == "fp" || s.rfind("fp,", 0) == 0 || s == "none" || s == "dwarf" || s.rfind("dwarf,", 0) == 0;
}

Error unknown_option(const CLI::App& app, const std::vector<KnownOption>& known, const std::string& option,
                     const std::string& word) {
    std::vector<std::string> names;
    for (const auto& k : known)
        if (k.name.size() > 2) names.push_back(k.name);
    auto close = pmu::closest_names(option, names);
    std::string msg = "unknown option '" + option + "'";
    if (word != option) msg += " in '" + word + "'";
    if (!close.empty()) {
        msg += "; did you mean ";
        for (size_t i = 0; i < close.size(); ++i) msg += (i ? " or " : "") + close[i];
        msg += "?";
    }
    // Both executables present themselves as kiln (kiln-analyze runs as `kiln analyze`).
    const std::string where = app.get_parent() != nullptr ? "kiln " + app.get_name() : "kiln";
    return make_error(msg + " (`" + where + " --help` lists the options)");
}

// Copies the options of app from args[i] on into out, up to `--`, the end, or (stop_at_word)
// the first word that is neither an option nor an option's value; returns where it stopped.
Result<size_t> copy_options(const CLI::App& app, const std::vector<std::string>& args, size_t i, bool stop_at_word,
                            std::vector<std::string>& out) {
    const auto known = options_of(app);
    for (; i < args.size(); ++i) {
        const std::string& a = args[i];
        if (a == "--") break;
        if (a.size() < 2 || a[0] != '-') {
            if (stop_at_word) break;
            out.push_back(a);
            continue;
        }
        out.push_back(a);
        std::string name;
        bool value_follows = false;  // the option's value is the next word
        if (a[1] == '-') {
            name = a.substr(0, a.find('='));
            const KnownOption* k = find_option(known, name);
            if (k == nullptr) return unknown_option(app, known, name, name);
            value_follows = k->takes_value && name.size() == a.size();
            if (name == "--mem" && value_follows) {
                out.back() = "--mem=faults,mmap,malloc";
                value_follows = false;
            }
        } else {
            // Short options, perhaps grouped (-aq) or with their value attached (-F999).
            for (size_t c = 1; c < a.size(); ++c) {
                name = std::string{'-', a[c]};
                const KnownOption* k = find_option(known, name);
                if (k == nullptr) return unknown_option(app, known, name, a);
                if (k->takes_value) {
                    value_follows = c + 1 == a.size();
                    break;
                }
            }
        }
        if (!value_follows) continue;
        const bool call_graph = name == "-g" || name == "--call-graph";
        if (call_graph && (i + 1 == args.size() || !is_call_graph_mode(args[i + 1]))) {
            out.push_back("fp");
        } else if (i + 1 < args.size()) {
            out.push_back(args[++i]);
        }
    }
    return i;
}

}  // namespace

Result<std::vector<std::string>> prepare_command_line(const CLI::App& app, const std::vector<std::string>& args) {
    std::vector<std::string> out;
    if (args.empty()) return out;
    out.push_back(args[0]);
    auto verb_at = copy_options(app, args, 1, /*stop_at_word=*/true, out);
    if (!verb_at) return verb_at.error();
    size_t i = *verb_at;
    if (i == args.size() || args[i] == "--") {
        out.insert(out.end(), args.begin() + static_cast<long>(i), args.end());
        return out;
    }
    const CLI::App* verb = nullptr;
    for (const CLI::App* s : app.get_subcommands([](const CLI::App*) { return true; }))
        if (s->check_name(args[i])) verb = s;
    out.push_back(args[i]);
    if (verb == nullptr) {  // CLI11 names the unknown verb
        out.insert(out.end(), args.begin() + static_cast<long>(i) + 1, args.end());
        return out;
    }
    auto command_at = copy_options(*verb, args, i + 1, verb->get_prefix_command(), out);
    if (!command_at) return command_at.error();
    i = *command_at;
    if (i < args.size()) {
        out.push_back("--");
        if (args[i] == "--") ++i;
        out.insert(out.end(), args.begin() + static_cast<long>(i), args.end());
    }
    return out;
}

std::optional<int> parse_command_line(CLI::App& app, const std::vector<std::string>& args,
                                      std::vector<std::string>& prepared) {
    auto words = prepare_command_line(app, args);
    if (!words) {
        std::fprintf(stderr, "kiln: %s\n", words.error().message.c_str());
        return 2;
    }
    prepared = std::move(*words);
    std::vector<const char*> cargv;
    for (const auto& a : prepared) cargv.push_back(a.c_str());
    try {
        app.parse(static_cast<int>(cargv.size()), cargv.data());
    } catch (const CLI::ParseError& e) {
        return app.exit(e) == 0 ? 0 : 2;
    }
    return std::nullopt;
}

std::vector<std::string> command_after_separator(const std::vector<std::string>& prepared) {
    auto sep = std::find(prepared.begin(), prepared.end(), "--");
    if (sep == prepared.end()) return {};
    return {sep + 1, prepared.end()};
}

}  // namespace kiln::tools
