// SPDX-License-Identifier: GPL-2.0
#include "policy.hpp"

#include <charconv>

namespace dynstack {

const std::array<Tunable, 10> kTunables = {{
    {"detach", &dynstack_policy::detach, 0, 1,
     "take stack pages away at all, at switch-out and by the reclaim pass (0/1)"},
    {"magazine_size", &dynstack_policy::magazine_size, 1, 256, "pages kept per CPU for switch-ins"},
    {"depot_low", &dynstack_policy::depot_low, 0, 1U << 20,
     "refill the shared depot below this many pages"},
    {"depot_high", &dynstack_policy::depot_high, 1, 1U << 22,
     "give depot pages back to the page allocator above this"},
    {"reserve_pages", &dynstack_policy::reserve_pages, 0, 1U << 20,
     "emergency reserve; at least (pages per stack - 1) * CPUs"},
    {"reclaim_interval_ms", &dynstack_policy::reclaim_interval_ms, 0, 3600000,
     "period of the reclaim pass over sleeping tasks; 0 = off, else >= 10"},
    {"reclaim_touched", &dynstack_policy::reclaim_touched, 0, 1,
     "the reclaim pass also takes touched pages below the stack pointer (0/1)"},
    {"pin_kthreads", &dynstack_policy::pin_kthreads, 1, 1,
     "kernel threads keep full stacks: always, the core enforces it (only 1)"},
    {"min_sleep_us", &dynstack_policy::min_sleep_us, 0, 60000000,
     "keep the pages of tasks whose last sleep was shorter than this; 0 = never keep"},
    {"partial_fork", &dynstack_policy::partial_fork, 0, 0,
     "retired: new stacks are always full, so that no new task waits (only 0)"},
}};

const Tunable *find_tunable(std::string_view name) {
    for (const auto &t : kTunables) {
        if (t.name == name) {
            return &t;
        }
    }
    return nullptr;
}

Result<std::uint32_t> parse_u32(std::string_view text, std::string_view what) {
    int base = 10;
    std::string_view digits = text;
    if (digits.size() > 2 && digits[0] == '0' && (digits[1] == 'x' || digits[1] == 'X')) {
        base = 16;
        digits.remove_prefix(2);
    }
    std::uint32_t v = 0;
    const auto *end = digits.data() + digits.size();
    auto [ptr, ec] = std::from_chars(digits.data(), end, v, base);
    if (digits.empty() || ec == std::errc::invalid_argument || ptr != end) {
        return Error{std::string(what) + ": '" + std::string(text) + "' is not a number",
                     Exit::Usage};
    }
    if (ec == std::errc::result_out_of_range) {
        return Error{std::string(what) + ": '" + std::string(text) + "' is too large", Exit::Usage};
    }
    return v;
}

Result<Unit> apply_assignments(dynstack_policy &p, const std::vector<std::string> &assignments) {
    dynstack_policy next = p;
    if (assignments.empty()) {
        return Error{"set: nothing to set; give KEY=VALUE (see dynstackctl get)", Exit::Usage};
    }
    for (const auto &a : assignments) {
        const auto eq = a.find('=');
        if (eq == std::string::npos || eq == 0) {
            return Error{"set: '" + a + "' is not KEY=VALUE", Exit::Usage};
        }
        const std::string key = a.substr(0, eq);
        const Tunable *t = find_tunable(key);
        if (t == nullptr) {
            return Error{"set: unknown tunable '" + key + "' (see dynstackctl get)", Exit::Usage};
        }
        auto v = parse_u32(std::string_view(a).substr(eq + 1), key);
        if (!v.ok()) {
            return v.error();
        }
        if (v.value() < t->min || v.value() > t->max) {
            return Error{"set: " + key + "=" + std::to_string(v.value()) + " is out of range " +
                             std::to_string(t->min) + ".." + std::to_string(t->max) + " (" +
                             std::string(t->help) + ")",
                         Exit::Usage};
        }
        next.*(t->field) = v.value();
    }
    p = next;
    return Unit{};
}

Result<Unit> validate_policy(const dynstack_policy &p, std::uint32_t reserve_min) {
    for (const auto &t : kTunables) {
        const std::uint32_t v = p.*(t.field);
        if (v < t.min || v > t.max) {
            return Error{std::string(t.name) + "=" + std::to_string(v) + " is out of range " +
                             std::to_string(t.min) + ".." + std::to_string(t.max),
                         Exit::Usage};
        }
    }
    if (p.depot_low >= p.depot_high) {
        return Error{"depot_low (" + std::to_string(p.depot_low) + ") must be below depot_high (" +
                         std::to_string(p.depot_high) + ")",
                     Exit::Usage};
    }
    if (p.reserve_pages < reserve_min) {
        return Error{"reserve_pages=" + std::to_string(p.reserve_pages) +
                         " is below one worst-case switch-in per CPU (" +
                         std::to_string(reserve_min) + ")",
                     Exit::Usage};
    }
    if (p.reclaim_interval_ms != 0 && p.reclaim_interval_ms < 10) {
        return Error{"reclaim_interval_ms must be 0 (off) or at least 10", Exit::Usage};
    }
    return Unit{};
}

} // namespace dynstack
