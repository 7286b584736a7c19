// SPDX-License-Identifier: GPL-2.0
#include "json.hpp"
#include "render.hpp"
#include "table.hpp"

#include <gtest/gtest.h>

using namespace dynstack;

TEST(Json, EscapesAndNests) {
    Json j;
    j.begin_object().field("a", std::uint64_t{1}).key("s").value(std::string_view("x\"y\n"));
    j.key("arr").begin_array().value(std::uint64_t{2}).value(true).end_array().end_object();
    EXPECT_EQ(j.str(), "{\"a\":1,\"s\":\"x\\\"y\\n\",\"arr\":[2,true]}\n");
    EXPECT_EQ(json_escape(std::string_view("\x01", 1)), "\"\\u0001\"");
}

TEST(Table, AlignsColumns) {
    Table t({"name", "n"});
    t.add({"a", "100"});
    t.add({"bbb", "7"});
    EXPECT_EQ(t.render(), "name    n\na     100\nbbb     7\n");
}

namespace {

StatusData sample() {
    StatusData d;
    d.version.abi_version = DYNSTACK_ABI_VERSION;
    d.version.page_size = 4096;
    d.version.stack_pages = 4;
    d.version.nr_cpu_ids = 2;
    d.stats.stacks = 100;
    d.stats.partial_stacks = 90;
    d.stats.resident_pages = 100;
    d.stats.reserve_pages = 12;
    d.stats.nopage = 1;
    d.kernel_stack_kb = 400;
    return d;
}

} // namespace

TEST(Render, SavedPercent) {
    auto d = sample();
    EXPECT_DOUBLE_EQ(saved_percent(d.version, d.stats), 75.0);
    d.stats.stacks = 0;
    EXPECT_DOUBLE_EQ(saved_percent(d.version, d.stats), 0.0);
}

TEST(Render, StatusHuman) {
    const auto out = render_status(sample(), false);
    EXPECT_NE(out.find("400 kB of 1600 kB virtual (75.0% saved)"), std::string::npos) << out;
    EXPECT_NE(out.find("reserve 12 pages"), std::string::npos) << out;
    EXPECT_NE(out.find("nopage 1"), std::string::npos) << out;
}

TEST(Render, StatusJsonIsStable) {
    EXPECT_EQ(render_status(sample(), true),
              "{\"abi_version\":1,\"stacks\":100,\"partial_stacks\":90,\"resident_pages\":100,"
              "\"virtual_pages\":400,\"page_size\":4096,\"saved_percent\":75.00,"
              "\"kernel_stack_kb\":400,\"supply\":{\"magazine_pages\":0,\"depot_pages\":0,"
              "\"reserve_pages\":12},\"failures\":{\"nopage\":1,\"take_short\":0,"
              "\"refill_failed\":0,\"refused\":0},\"waiting\":{\"deferred\":1,\"parked\":0,"
              "\"wait_us\":0,\"wait_max_us\":0}}\n");
}

TEST(Render, PolicySelectedKeys) {
    dynstack_policy p{};
    p.magazine_size = 9;
    p.detach = 1;
    EXPECT_EQ(render_policy(p, {"magazine_size"}, true), "{\"magazine_size\":9}\n");
    const auto all = render_policy(p, {}, false);
    EXPECT_NE(all.find("magazine_size"), std::string::npos);
    EXPECT_NE(all.find("1..256"), std::string::npos);
}

TEST(Render, TasksAndReclaim) {
    TaskRow r;
    r.tid = 42;
    r.comm = "kworker/0:1";
    r.info.resident_pages = 1;
    r.info.last_used_pages = 1;
    r.info.max_used_pages = 2;
    r.info.stack_pages = 4;
    EXPECT_EQ(render_tasks({r}, true),
              "[{\"tid\":42,\"comm\":\"kworker/0:1\",\"resident_pages\":1,\"last_used_pages\":1,"
              "\"max_used_pages\":2,\"stack_pages\":4}]\n");
    dynstack_reclaim rc{};
    rc.scanned = 10;
    rc.flushes = 1;
    EXPECT_NE(render_reclaim(rc, false).find("1 TLB flush)"), std::string::npos);
}

TEST(Render, StatsJsonHasEveryCounter) {
    dynstack_stats s{};
    s.refill_failed = 3;
    s.residency[1] = 5;
    const auto j = render_stats(s, true);
    EXPECT_NE(j.find("\"refill_failed\":3"), std::string::npos);
    EXPECT_NE(j.find("\"residency\":[0,5,0,0,0,0,0,0]"), std::string::npos);
    EXPECT_NE(j.find("\"reclaim_flushes\":0"), std::string::npos);
}
