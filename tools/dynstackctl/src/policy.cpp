// SPDX-License-Identifier: GPL-2.0
#include "policy.hpp"

#include <charconv>

namespace dynstack {

const Tunable *find_tunable(const Tunables &all, std::string_view name) {
    for (const auto &t : all) {
        if (t.name == name) {
            return &t;
        }
    }
    return nullptr;
}

std::uint32_t policy_value(const dynstack_policy &p, const Tunable &t) {
    if (t.index < kPolicyFields.size()) {
        return p.*(kPolicyFields.at(t.index));
    }
    return t.value;
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

Result<std::vector<Assignment>> parse_assignments(const std::vector<std::string> &args) {
    if (args.empty()) {
        return Error{"set: nothing to set; give KEY=VALUE (see dynstackctl get)", Exit::Usage};
    }
    std::vector<Assignment> out;
    for (const auto &a : args) {
        const auto eq = a.find('=');
        if (eq == std::string::npos || eq == 0) {
            return Error{"set: '" + a + "' is not KEY=VALUE", Exit::Usage};
        }
        const std::string key = a.substr(0, eq);
        auto v = parse_u32(std::string_view(a).substr(eq + 1), "set: " + key);
        if (!v.ok()) {
            return v.error();
        }
        out.push_back({key, v.value()});
    }
    return out;
}

Result<dynstack_policy> make_update(const Tunables &all, const std::vector<Assignment> &as) {
    dynstack_policy p{};
    p.size = sizeof(p);
    p.flags = DYNSTACK_POLICY_SET_MASK;
    for (const auto &a : as) {
        const Tunable *t = find_tunable(all, a.key);
        if (t == nullptr) {
            return Error{"set: dynstack.ko has no tunable '" + a.key + "' (see dynstackctl get)",
                         Exit::Usage};
        }
        if (t->index >= kPolicyFields.size()) {
            return Error{"set: this dynstackctl is older than dynstack.ko and cannot set '" +
                             a.key + "'; write /sys/kernel/mm/dynstack/" + a.key,
                         Exit::Usage};
        }
        if (a.value < t->min || a.value > t->max) {
            return Error{"set: " + a.key + "=" + std::to_string(a.value) + " is out of range " +
                             std::to_string(t->min) + ".." + std::to_string(t->max) + " (" +
                             t->help + ")",
                         Exit::Usage};
        }
        p.*(kPolicyFields.at(t->index)) = a.value;
        p.mask |= 1ULL << t->index;
    }
    return p;
}

std::string explain_refusal(const Tunables &all, const dynstack_policy &sent) {
    for (const auto &t : all) {
        if (static_cast<std::int64_t>(t.index) == sent.error_field) {
            std::string what = t.name;
            if ((sent.mask & (1ULL << t.index)) != 0) {
                what += "=" + std::to_string(policy_value(sent, t));
            }
            return "set: dynstack.ko refused " + what + ": " + t.help;
        }
    }
    return "set: dynstack.ko refused the values (EINVAL)";
}

} // namespace dynstack
