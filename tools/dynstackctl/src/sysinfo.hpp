// SPDX-License-Identifier: GPL-2.0
// What dynstackctl reads from procfs and sysfs.
#pragma once

#include "result.hpp"

#include <string>
#include <string_view>

namespace dynstack {

// The value in kB of FIELD in the text of /proc/meminfo.
Result<long> meminfo_field(std::string_view meminfo, std::string_view field);

// The whole content of a (small) file, or an error naming it.
Result<std::string> read_file(const std::string &path);

struct Status {
    bool module_loaded = false;
    long kernel_stack_kb = 0;
    int abi_version = -1;
};

Result<Status> read_status(const std::string &proc = "/proc", const std::string &sys = "/sys");

std::string render_status(const Status &st, bool json);

} // namespace dynstack
