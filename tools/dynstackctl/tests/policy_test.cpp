// SPDX-License-Identifier: GPL-2.0
#include "policy.hpp"

#include <gtest/gtest.h>

using namespace dynstack;

namespace {

// What a module's DYNSTACK_IOC_TUNABLE table could say.
Tunables table() {
    return {{DYNSTACK_POLICY_DETACH, "detach", 0, 1, 1, "0/1"},
            {DYNSTACK_POLICY_MAGAZINE_SIZE, "magazine_size", 1, 256, 32, "pages per CPU"},
            {DYNSTACK_POLICY_DEPOT_LOW, "depot_low", 0, 1U << 20, 32, "below depot_high"},
            {DYNSTACK_POLICY_DEPOT_HIGH, "depot_high", 1, 1U << 22, 256, "above depot_low"},
            {42, "future_knob", 0, 7, 5, "a newer module's"}};
}

} // namespace

TEST(Parse, NumbersAndErrors) {
    EXPECT_EQ(parse_u32("17", "x").value(), 17U);
    EXPECT_EQ(parse_u32("0x10", "x").value(), 16U);
    EXPECT_EQ(parse_u32("010", "x").value(), 10U); // decimal, as sysfs reads it
    EXPECT_FALSE(parse_u32("", "x").ok());
    EXPECT_FALSE(parse_u32("-1", "x").ok());
    EXPECT_FALSE(parse_u32("12abc", "x").ok());
    auto big = parse_u32("99999999999", "magazine_size");
    ASSERT_FALSE(big.ok());
    EXPECT_NE(big.error().message.find("too large"), std::string::npos);
    EXPECT_NE(big.error().message.find("magazine_size"), std::string::npos);
}

TEST(Assign, SyntaxIsCheckedWithoutTheModule) {
    auto ok = parse_assignments({"magazine_size=8", "anything=0x10"});
    ASSERT_TRUE(ok.ok());
    EXPECT_EQ(ok.value().size(), 2U);
    EXPECT_EQ(ok.value()[1].key, "anything");
    EXPECT_EQ(ok.value()[1].value, 16U);
    EXPECT_FALSE(parse_assignments({"magazine_size"}).ok());
    EXPECT_FALSE(parse_assignments({"=3"}).ok());
    EXPECT_FALSE(parse_assignments({"magazine_size=x"}).ok());
    EXPECT_FALSE(parse_assignments({}).ok());
    EXPECT_EQ(parse_assignments({"a=b"}).error().code, Exit::Usage);
}

TEST(Update, ChangesOnlyTheNamedFields) {
    auto p = make_update(table(), {{"magazine_size", 8}, {"detach", 0}});
    ASSERT_TRUE(p.ok()) << p.error().message;
    EXPECT_EQ(p.value().flags, DYNSTACK_POLICY_SET_MASK);
    EXPECT_EQ(p.value().mask,
              (1ULL << DYNSTACK_POLICY_MAGAZINE_SIZE) | (1ULL << DYNSTACK_POLICY_DETACH));
    EXPECT_EQ(p.value().magazine_size, 8U);
    EXPECT_EQ(p.value().detach, 0U);
    EXPECT_EQ(p.value().size, sizeof(dynstack_policy));
}

TEST(Update, RangesAndNamesAreTheModules) {
    auto r = make_update(table(), {{"magazine_size", 9}, {"detach", 7}});
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.error().message.find("detach=7"), std::string::npos);
    EXPECT_NE(r.error().message.find("0..1"), std::string::npos);
    EXPECT_EQ(r.error().code, Exit::Usage);
    auto unknown = make_update(table(), {{"magazine", 8}});
    ASSERT_FALSE(unknown.ok());
    EXPECT_NE(unknown.error().message.find("no tunable 'magazine'"), std::string::npos);
    // A tunable of a newer module that this tool's struct cannot carry.
    auto newer = make_update(table(), {{"future_knob", 1}});
    ASSERT_FALSE(newer.ok());
    EXPECT_NE(newer.error().message.find("/sys/kernel/mm/dynstack/future_knob"), std::string::npos);
}

TEST(Update, RefusalNamesTheField) {
    auto p = make_update(table(), {{"depot_low", 300}});
    ASSERT_TRUE(p.ok());
    auto sent = p.value();
    sent.error_field = DYNSTACK_POLICY_DEPOT_LOW;
    const auto msg = explain_refusal(table(), sent);
    EXPECT_NE(msg.find("depot_low=300"), std::string::npos) << msg;
    EXPECT_NE(msg.find("below depot_high"), std::string::npos) << msg;
    sent.error_field = -1;
    EXPECT_NE(explain_refusal(table(), sent).find("refused"), std::string::npos);
}

TEST(Fields, InTheAbisOrder) {
    dynstack_policy p{};
    for (std::size_t i = 0; i < kPolicyFields.size(); i++) {
        p.*(kPolicyFields.at(i)) = static_cast<std::uint32_t>(i + 1);
    }
    EXPECT_EQ(p.detach, DYNSTACK_POLICY_DETACH + 1U);
    EXPECT_EQ(p.reserve_pages, DYNSTACK_POLICY_RESERVE_PAGES + 1U);
    EXPECT_EQ(p.min_sleep_us, DYNSTACK_POLICY_MIN_SLEEP_US + 1U);
    EXPECT_EQ(p.partial_fork, DYNSTACK_POLICY_PARTIAL_FORK + 1U);
    EXPECT_EQ(p.shrink_interval_ms, DYNSTACK_POLICY_SHRINK_INTERVAL_MS + 1U);
}
