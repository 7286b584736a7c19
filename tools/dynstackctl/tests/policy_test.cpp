// SPDX-License-Identifier: GPL-2.0
#include "policy.hpp"

#include <gtest/gtest.h>

using namespace dynstack;

namespace {

dynstack_policy defaults() {
    dynstack_policy p{};
    p.size = sizeof(p);
    p.detach = 1;
    p.magazine_size = 64;
    p.depot_low = 256;
    p.depot_high = 2048;
    p.reserve_pages = 12;
    p.reclaim_interval_ms = 1000;
    p.reclaim_touched = 1;
    p.pin_kthreads = 1;
    return p;
}

} // namespace

TEST(Parse, NumbersAndErrors) {
    EXPECT_EQ(parse_u32("17", "x").value(), 17U);
    EXPECT_EQ(parse_u32("0x10", "x").value(), 16U);
    EXPECT_FALSE(parse_u32("", "x").ok());
    EXPECT_FALSE(parse_u32("-1", "x").ok());
    EXPECT_FALSE(parse_u32("12abc", "x").ok());
    auto big = parse_u32("99999999999", "magazine_size");
    ASSERT_FALSE(big.ok());
    EXPECT_NE(big.error().message.find("too large"), std::string::npos);
    EXPECT_NE(big.error().message.find("magazine_size"), std::string::npos);
}

TEST(Assign, AppliesAllOrNothing) {
    auto p = defaults();
    ASSERT_TRUE(apply_assignments(p, {"magazine_size=8", "detach=0"}).ok());
    EXPECT_EQ(p.magazine_size, 8U);
    EXPECT_EQ(p.detach, 0U);

    const auto before = p;
    auto r = apply_assignments(p, {"magazine_size=9", "detach=7"});
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.error().message.find("detach=7"), std::string::npos);
    EXPECT_NE(r.error().message.find("0..1"), std::string::npos);
    EXPECT_EQ(p.magazine_size, before.magazine_size);
}

TEST(Assign, NamesWhatIsWrong) {
    auto p = defaults();
    auto unknown = apply_assignments(p, {"magazine=8"});
    ASSERT_FALSE(unknown.ok());
    EXPECT_NE(unknown.error().message.find("unknown tunable 'magazine'"), std::string::npos);
    EXPECT_FALSE(apply_assignments(p, {"magazine_size"}).ok());
    EXPECT_FALSE(apply_assignments(p, {"=3"}).ok());
    EXPECT_FALSE(apply_assignments(p, {"magazine_size=x"}).ok());
    EXPECT_FALSE(apply_assignments(p, {}).ok());
}

TEST(Validate, SameRulesAsTheModule) {
    auto p = defaults();
    EXPECT_TRUE(validate_policy(p, 6).ok());
    p.depot_low = p.depot_high;
    EXPECT_FALSE(validate_policy(p, 6).ok());
    p = defaults();
    p.reserve_pages = 5;
    auto r = validate_policy(p, 6);
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.error().message.find("reserve_pages"), std::string::npos);
    p = defaults();
    p.reclaim_interval_ms = 9;
    EXPECT_FALSE(validate_policy(p, 6).ok());
    p.reclaim_interval_ms = 0;
    EXPECT_TRUE(validate_policy(p, 6).ok());
    p.magazine_size = 257;
    EXPECT_FALSE(validate_policy(p, 6).ok());
    // Retired: kernel threads are always pinned, stacks never start partial.
    p = defaults();
    p.pin_kthreads = 0;
    EXPECT_FALSE(validate_policy(p, 6).ok());
    p = defaults();
    p.partial_fork = 1;
    EXPECT_FALSE(validate_policy(p, 6).ok());
}

TEST(Tunables, TableMatchesTheStruct) {
    EXPECT_EQ(kTunables.size(), 10U);
    for (const auto &t : kTunables) {
        EXPECT_LE(t.min, t.max) << t.name;
        EXPECT_EQ(find_tunable(t.name), &t);
    }
    EXPECT_EQ(find_tunable("nope"), nullptr);
}
