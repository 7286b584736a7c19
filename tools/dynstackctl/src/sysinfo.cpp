// SPDX-License-Identifier: GPL-2.0
#include "sysinfo.hpp"

#include <cerrno>
#include <charconv>
#include <cstring>
#include <fstream>
#include <sstream>

namespace dynstack {

Result<long> meminfo_field(std::string_view meminfo, std::string_view field) {
    std::size_t pos = 0;
    while (pos < meminfo.size()) {
        std::size_t end = meminfo.find('\n', pos);
        if (end == std::string_view::npos) {
            end = meminfo.size();
        }
        std::string_view line = meminfo.substr(pos, end - pos);
        pos = end + 1;
        if (line.size() <= field.size() || line.substr(0, field.size()) != field ||
            line[field.size()] != ':') {
            continue;
        }
        std::string_view rest = line.substr(field.size() + 1);
        std::size_t start = rest.find_first_not_of(' ');
        if (start == std::string_view::npos) {
            break;
        }
        rest = rest.substr(start);
        long value = 0;
        auto [ptr, ec] = std::from_chars(rest.data(), rest.data() + rest.size(), value);
        if (ec != std::errc() || ptr == rest.data()) {
            break;
        }
        return value;
    }
    return Error{"no readable '" + std::string(field) + "' line in /proc/meminfo"};
}

Result<std::string> read_file(const std::string &path) {
    std::ifstream in(path);
    if (!in) {
        return Error{"cannot read " + path + ": " + std::strerror(errno)};
    }
    std::ostringstream out;
    out << in.rdbuf();
    return out.str();
}

Result<Status> read_status(const std::string &proc, const std::string &sys) {
    Status st;
    auto meminfo = read_file(proc + "/meminfo");
    if (!meminfo.ok()) {
        return Error{meminfo.error()};
    }
    auto kb = meminfo_field(meminfo.value(), "KernelStack");
    if (!kb.ok()) {
        return Error{kb.error()};
    }
    st.kernel_stack_kb = kb.value();
    auto abi = read_file(sys + "/kernel/mm/dynstack/abi_version");
    if (abi.ok()) {
        st.module_loaded = true;
        st.abi_version = std::stoi(abi.value());
    }
    return st;
}

std::string render_status(const Status &st, bool json) {
    std::ostringstream out;
    if (json) {
        out << R"({"module_loaded":)" << (st.module_loaded ? "true" : "false")
            << R"(,"kernel_stack_kb":)" << st.kernel_stack_kb << R"(,"abi_version":)"
            << st.abi_version << "}\n";
        return out.str();
    }
    out << "module:        " << (st.module_loaded ? "loaded" : "not loaded") << "\n";
    out << "KernelStack:   " << st.kernel_stack_kb << " kB\n";
    if (st.module_loaded) {
        out << "ABI version:   " << st.abi_version << "\n";
    }
    return out.str();
}

} // namespace dynstack
