// SPDX-License-Identifier: GPL-2.0
// The tunables: KEY=VALUE parsing, done before the device is opened, and
// the update sent to the module, checked against the module's own table
// of names and ranges (DYNSTACK_IOC_TUNABLE), so no range is copied here.
#pragma once

#include "result.hpp"

#include <linux/dynstack.h>

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace dynstack {

// One tunable as the module describes it.
struct Tunable {
    std::uint32_t index = 0; // DYNSTACK_POLICY_*
    std::string name;
    std::uint32_t min = 0;
    std::uint32_t max = 0;
    std::uint32_t value = 0;
    std::string help;
};
using Tunables = std::vector<Tunable>;

// The members of struct dynstack_policy in DYNSTACK_POLICY_* order: the
// ABI's field numbering, not the module's ranges.
inline constexpr std::array<std::uint32_t dynstack_policy::*,
                            DYNSTACK_POLICY_SHRINK_INTERVAL_MS + 1>
    kPolicyFields = {&dynstack_policy::detach,
                     &dynstack_policy::magazine_size,
                     &dynstack_policy::depot_low,
                     &dynstack_policy::depot_high,
                     &dynstack_policy::reserve_pages,
                     &dynstack_policy::reclaim_interval_ms,
                     &dynstack_policy::reclaim_touched,
                     &dynstack_policy::pin_kthreads,
                     &dynstack_policy::min_sleep_us,
                     &dynstack_policy::partial_fork,
                     &dynstack_policy::shrink_interval_ms};

const Tunable *find_tunable(const Tunables &all, std::string_view name);

// The value of @t in @p, or the module's value for a field this tool's
// struct does not have.
std::uint32_t policy_value(const dynstack_policy &p, const Tunable &t);

// A decimal (or 0x hex) unsigned 32-bit value, with a message naming @what.
Result<std::uint32_t> parse_u32(std::string_view text, std::string_view what);

struct Assignment {
    std::string key;
    std::uint32_t value = 0;
};

// "KEY=VALUE" arguments, split and parsed; needs no module (usage errors).
Result<std::vector<Assignment>> parse_assignments(const std::vector<std::string> &args);

// The SET_POLICY argument that changes exactly @as (DYNSTACK_POLICY_SET_MASK),
// after checking names and each field's range against the module's table.
Result<dynstack_policy> make_update(const Tunables &all, const std::vector<Assignment> &as);

// Why the module refused @sent, from the field it named (error_field).
std::string explain_refusal(const Tunables &all, const dynstack_policy &sent);

} // namespace dynstack
