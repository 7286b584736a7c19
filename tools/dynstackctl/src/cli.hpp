// SPDX-License-Identifier: GPL-2.0
// Command-line parsing for dynstackctl.
#pragma once

#include "result.hpp"

#include <string>
#include <vector>

namespace dynstack {

enum class Verb { Help, Version, Status };

struct Command {
    Verb verb = Verb::Help;
    bool json = false;
};

Result<Command> parse_args(const std::vector<std::string> &args);

std::string usage();

} // namespace dynstack
