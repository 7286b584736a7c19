// SPDX-License-Identifier: GPL-2.0
#include "json.hpp"
#include "render.hpp"
#include "sample_status.hpp"
#include "table.hpp"

#include <gtest/gtest.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <unistd.h>

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

StatusData sample() { return sample_status(); }

TEST(Render, SavedPercent) {
    auto d = sample();
    EXPECT_DOUBLE_EQ(saved_percent(d.version, d.stats), 75.0);
    d.stats.stacks = 0;
    EXPECT_DOUBLE_EQ(saved_percent(d.version, d.stats), 0.0);
}

TEST(Render, StatusHuman) {
    const auto out = render_status(sample(), false);
    EXPECT_NE(out.find("400 kB of 1600 kB virtual (75.0% saved)"), std::string::npos) << out;
    EXPECT_NE(out.find("reserve 48 kB"), std::string::npos) << out;
    EXPECT_NE(out.find("nopage 1"), std::string::npos) << out;
}

TEST(Render, StatusJsonIsStable) {
    EXPECT_EQ(render_status(sample(), true),
              "{\"abi_version\":2,\"stacks\":100,\"partial_stacks\":90,\"resident_pages\":100,"
              "\"virtual_pages\":400,\"page_size\":4096,\"saved_percent\":75.00,"
              "\"kernel_stack_kb\":400,\"supply\":{\"magazine_pages\":0,\"depot_pages\":0,"
              "\"reserve_pages\":12},\"failures\":{\"nopage\":1,\"take_short\":0,"
              "\"refill_failed\":0,\"refused\":0},\"waiting\":{\"deferred\":1,\"parked\":0,"
              "\"wait_us\":0,\"wait_max_us\":0}}\n");
}

TEST(Render, StatusShowsMemcgOnlyWhenTheModuleReportsIt) {
    auto d = sample();
    d.stats.memcg_settled = 3;
    d.stats.memcg_charged = 2;
    d.stats.memcg_waits = 5;
    d.stats.memcg_failed = 1;
    EXPECT_EQ(render_status(d, false).find("memcg:"), std::string::npos);
    EXPECT_EQ(render_status(d, true).find("\"memcg\""), std::string::npos);
    d.version.features = DYNSTACK_FEAT_MEMCG;
    const auto human = render_status(d, false);
    EXPECT_NE(human.find("memcg:          12 kB uncharged from sleeping threads, 8 kB charged "
                         "again; 5 wakeups waited for a charge, 1 blocking charges failed\n"),
              std::string::npos)
        << human;
    EXPECT_NE(render_status(d, true).find("\"memcg\":{\"settled_pages\":3,\"charged_pages\":2,"
                                          "\"waits\":5,\"failed\":1}"),
              std::string::npos);
}

TEST(Render, PolicySelectedKeysFromTheModulesTable) {
    dynstack_policy p{};
    p.magazine_size = 9;
    p.detach = 1;
    const Tunables all = {{DYNSTACK_POLICY_DETACH, "detach", 0, 1, 1, "on/off"},
                          {DYNSTACK_POLICY_MAGAZINE_SIZE, "magazine_size", 1, 256, 9, "pages"},
                          {42, "future_knob", 0, 7, 5, "a newer module's"}};
    EXPECT_EQ(render_policy(all, p, {"magazine_size"}, true), "{\"magazine_size\":9}\n");
    // A field this tool's struct lacks shows the module's value.
    EXPECT_EQ(render_policy(all, p, {"future_knob"}, true), "{\"future_knob\":5}\n");
    const auto table = render_policy(all, p, {}, false);
    EXPECT_NE(table.find("magazine_size"), std::string::npos);
    EXPECT_NE(table.find("1..256"), std::string::npos);
    EXPECT_NE(table.find("future_knob"), std::string::npos);
}

TEST(Render, TasksAndReclaim) {
    TaskRow r;
    r.tid = 42;
    r.comm = "kworker/0:1";
    r.info.resident_pages = 1;
    r.info.last_used_pages = 1;
    r.info.max_used_pages = 2;
    r.info.stack_pages = 4;
    EXPECT_EQ(render_tasks(sample().version, {r}, true),
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

namespace {

// What a strict parser makes of @doc: python3 decodes the bytes as UTF-8
// (errors are fatal) and parses them with its json module, then prints the
// "comm" of the first row as Python escapes it. Empty if either step failed.
std::string parse_with_python(const std::string &doc) {
    std::string path = "/tmp/dynstackctl-json-XXXXXX";
    const int fd = mkstemp(path.data());
    if (fd < 0) {
        return {};
    }
    const bool written = write(fd, doc.data(), doc.size()) == static_cast<ssize_t>(doc.size());
    close(fd);
    std::string out;
    if (written) {
        const std::string cmd =
            std::string("python3 -c 'import json,sys; "
                        "d=json.loads(open(sys.argv[1],\"rb\").read().decode(\"utf-8\")); "
                        "print(ascii(d[0][\"comm\"]))' ") +
            path + " 2>/dev/null";
        FILE *p = popen(cmd.c_str(), "r");
        if (p != nullptr) {
            std::array<char, 256> buf{};
            while (fgets(buf.data(), buf.size(), p) != nullptr) {
                out += buf.data();
            }
            if (pclose(p) != 0) {
                out.clear();
            }
        }
    }
    unlink(path.c_str());
    return out;
}

} // namespace

// Any user can give a thread any bytes as its name (prctl PR_SET_NAME): the
// JSON must still be valid UTF-8 that a real parser accepts.
TEST(Render, TasksJsonValidWithNonUtf8Name) {
    TaskRow r;
    r.tid = 7;
    // A lone continuation byte, a truncated sequence, an overlong '/', a
    // surrogate, then a valid two-byte and four-byte character.
    r.comm = std::string("a\x80"
                         "b\xc3("
                         "\xc0\xaf"
                         "\xed\xa0\x80"
                         "\xc3\xa9"
                         "\xf0\x9f\x98\x80");
    const std::string doc = render_tasks(sample().version, {r}, true);
    EXPECT_EQ(parse_with_python(doc),
              "'a\\ufffdb\\ufffd(\\ufffd\\ufffd\\ufffd\\ufffd\\ufffd\\xe9\\U0001f600'\n");
}

TEST(Json, PrettyIndentsLikeBpftool) {
    Json j;
    j.begin_object().field("a", std::uint64_t{1}).key("s").value(std::string_view("{,:}"));
    j.key("arr").begin_array().value(std::uint64_t{2}).end_array();
    j.key("e").begin_array().end_array().end_object();
    EXPECT_EQ(json_pretty(j.str()),
              "{\n  \"a\": 1,\n  \"s\": \"{,:}\",\n  \"arr\": [\n    2\n  ],\n  \"e\": []\n}\n");
}

TEST(Render, TaskThatCannotBeReadIsARowWithItsError) {
    TaskRow ok;
    ok.tid = 1;
    ok.comm = "init";
    ok.info.resident_pages = 2;
    ok.info.stack_pages = 4;
    TaskRow bad;
    bad.tid = 7;
    bad.error = "task 7: no such task";
    EXPECT_EQ(render_tasks(sample().version, {ok, bad}, true),
              "[{\"tid\":1,\"comm\":\"init\",\"resident_pages\":2,\"last_used_pages\":0,"
              "\"max_used_pages\":0,\"stack_pages\":4},{\"tid\":7,\"error\":\"task 7: no such "
              "task\"}]\n");
    const auto table = render_tasks(sample().version, {ok, bad}, false);
    EXPECT_NE(table.find("init"), std::string::npos);
    EXPECT_EQ(table.find("no such"), std::string::npos); // on stderr instead
}

// Memory is in kB for people and in pages in JSON; the pinned column and
// field appear only when the module reports pins (DYNSTACK_FEAT_PIN).
TEST(Render, TaskUnitsAndPinned) {
    auto v = sample().version;
    TaskRow r;
    r.tid = 9;
    r.comm = "worker";
    r.info.resident_pages = 1;
    r.info.max_used_pages = 2;
    r.info.stack_pages = 4;
    r.info.attrs = DYNSTACK_TASK_PINNED;
    const auto old = render_tasks(v, {r}, false);
    EXPECT_NE(old.find("resident_kB"), std::string::npos) << old;
    EXPECT_EQ(old.find("pinned"), std::string::npos) << old;
    EXPECT_NE(old.find("  4  "), std::string::npos) << old; // 1 page = 4 kB
    v.features = DYNSTACK_FEAT_PIN;
    const auto table = render_tasks(v, {r}, false);
    EXPECT_NE(table.find("pinned"), std::string::npos) << table;
    EXPECT_NE(table.find("16  yes"), std::string::npos) << table;
    EXPECT_EQ(render_tasks(v, {r}, true),
              "[{\"tid\":9,\"comm\":\"worker\",\"resident_pages\":1,\"last_used_pages\":0,"
              "\"max_used_pages\":2,\"stack_pages\":4,\"pinned\":true}]\n");
}

TEST(Render, PerCpuMagazineInKb) {
    dynstack_cpu_stats c{};
    c.cpu = 1;
    c.online = 1;
    c.magazine_pages = 3;
    const auto table = render_cpu_stats(sample().version, {c}, false);
    EXPECT_NE(table.find("magazine_kB"), std::string::npos) << table;
    EXPECT_NE(table.find(" 12 "), std::string::npos) << table;
    EXPECT_NE(render_cpu_stats(sample().version, {c}, true).find("\"magazine_pages\":3"),
              std::string::npos);
}
