// SPDX-License-Identifier: GPL-2.0
// The tunables: names, ranges and validation, the same as the module's
// (module/tunables.c), so that a bad value is explained before it is sent.
#pragma once

#include "result.hpp"

#include <linux/dynstack.h>

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace dynstack {

struct Tunable {
    std::string_view name;
    std::uint32_t dynstack_policy::*field;
    std::uint32_t min;
    std::uint32_t max;
    std::string_view help;
};

extern const std::array<Tunable, 10> kTunables;

const Tunable *find_tunable(std::string_view name);

// A decimal (or 0x hex) unsigned 32-bit value, with a message naming @what.
Result<std::uint32_t> parse_u32(std::string_view text, std::string_view what);

// Apply "key=value" assignments to @p; nothing is applied unless all parse.
Result<Unit> apply_assignments(dynstack_policy &p, const std::vector<std::string> &assignments);

// The module's rules; @reserve_min is (stack_pages - 1) * nr_cpu_ids.
Result<Unit> validate_policy(const dynstack_policy &p, std::uint32_t reserve_min);

} // namespace dynstack
