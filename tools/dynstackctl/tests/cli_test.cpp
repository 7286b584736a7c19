// SPDX-License-Identifier: GPL-2.0
#include "cli.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <iterator>
#include <regex>
#include <string>

using dynstack::Exit;
using dynstack::parse_args;
using dynstack::read_only;
using dynstack::Verb;

TEST(Cli, StatusWithJson) {
    auto o = parse_args({"--json", "status"});
    ASSERT_TRUE(o.ok()) << o.error().message;
    EXPECT_EQ(o.value().verb, Verb::Status);
    EXPECT_TRUE(o.value().json);
}

TEST(Cli, JsonAfterCommandToo) {
    auto o = parse_args({"stats", "--per-cpu", "--json"});
    ASSERT_TRUE(o.ok()) << o.error().message;
    EXPECT_TRUE(o.value().per_cpu);
    EXPECT_TRUE(o.value().json);
}

TEST(Cli, HelpOfACommand) {
    auto o = parse_args({"set", "--help"});
    ASSERT_TRUE(o.ok());
    EXPECT_EQ(o.value().verb, Verb::Help);
    EXPECT_EQ(o.value().help_for, Verb::Set);
    EXPECT_NE(dynstack::command_help(Verb::Set).find("dynstackctl get"), std::string::npos);
    auto h = parse_args({"help", "watch"});
    ASSERT_TRUE(h.ok());
    EXPECT_EQ(h.value().help_for, Verb::Watch);
    EXPECT_FALSE(parse_args({"help", "nope"}).ok());
}

TEST(Cli, NoCommandIsAUsageError) {
    auto o = parse_args({});
    ASSERT_FALSE(o.ok());
    EXPECT_EQ(o.error().code, Exit::Usage);
}

TEST(Cli, UnknownOptionAndCommandNamed) {
    auto o = parse_args({"--frobnicate", "status"});
    ASSERT_FALSE(o.ok());
    EXPECT_NE(o.error().message.find("--frobnicate"), std::string::npos);
    auto c = parse_args({"stauts"});
    ASSERT_FALSE(c.ok());
    EXPECT_NE(c.error().message.find("stauts"), std::string::npos);
}

TEST(Cli, OptionOfAnotherCommandRefused) {
    EXPECT_FALSE(parse_args({"status", "--per-cpu"}).ok());
    EXPECT_FALSE(parse_args({"stats", "--touched"}).ok());
    EXPECT_FALSE(parse_args({"status", "extra"}).ok());
}

TEST(Cli, SetAndTaskNeedArguments) {
    EXPECT_FALSE(parse_args({"set"}).ok());
    EXPECT_FALSE(parse_args({"task"}).ok());
    auto o = parse_args({"set", "detach=0", "magazine_size=8"});
    ASSERT_TRUE(o.ok());
    EXPECT_EQ(o.value().args.size(), 2U);
}

TEST(Cli, WatchAndTopNumbers) {
    auto w = parse_args({"watch", "-i", "5", "-n", "3"});
    ASSERT_TRUE(w.ok()) << w.error().message;
    EXPECT_EQ(w.value().interval_s, 5U);
    EXPECT_EQ(w.value().count, 3);
    auto t = parse_args({"top", "-n", "7"});
    ASSERT_TRUE(t.ok());
    EXPECT_EQ(t.value().top_n, 7U);
    EXPECT_FALSE(parse_args({"watch", "-i", "0"}).ok());
    EXPECT_FALSE(parse_args({"watch", "-i"}).ok());
    EXPECT_FALSE(parse_args({"watch", "-i", "x"}).ok());
}

TEST(Cli, DropCapsOnlyForReads) {
    EXPECT_TRUE(parse_args({"--drop-caps", "status"}).ok());
    auto o = parse_args({"--drop-caps", "set", "detach=1"});
    ASSERT_FALSE(o.ok());
    EXPECT_EQ(o.error().code, Exit::Usage);
    EXPECT_FALSE(parse_args({"--drop-caps", "reclaim"}).ok());
}

TEST(Cli, DeviceOption) {
    auto o = parse_args({"--device", "/tmp/x", "status"});
    ASSERT_TRUE(o.ok());
    EXPECT_EQ(o.value().device, "/tmp/x");
    EXPECT_FALSE(parse_args({"status", "--device"}).ok());
}

TEST(Cli, DeviceWithEquals) {
    auto o = parse_args({"--device=/dev/other", "status"});
    ASSERT_TRUE(o.ok());
    EXPECT_EQ(o.value().device, "/dev/other");
    EXPECT_FALSE(parse_args({"--device=", "status"}).ok());
}

TEST(Cli, ShortJsonAndPretty) {
    auto j = parse_args({"-j", "stats"});
    ASSERT_TRUE(j.ok());
    EXPECT_TRUE(j.value().json);
    EXPECT_FALSE(j.value().pretty);
    auto p = parse_args({"stats", "-p"});
    ASSERT_TRUE(p.ok());
    EXPECT_TRUE(p.value().json);
    EXPECT_TRUE(p.value().pretty);
}

TEST(Cli, ToolVersionNeedsNoCommand) {
    auto o = parse_args({"--version"});
    ASSERT_TRUE(o.ok());
    EXPECT_EQ(o.value().verb, Verb::ToolVersion);
}

TEST(Cli, TopSortAndDelay) {
    auto o = parse_args({"top", "-s", "max_used", "-d", "3", "-n", "5"});
    ASSERT_TRUE(o.ok());
    EXPECT_EQ(o.value().top_sort, dynstack::TopSort::MaxUsed);
    EXPECT_EQ(o.value().top_delay_s, 3U);
    EXPECT_EQ(o.value().top_n, 5U);
    EXPECT_FALSE(parse_args({"top", "-s", "size"}).ok());
    EXPECT_FALSE(parse_args({"top", "-d", "0"}).ok());
    EXPECT_FALSE(parse_args({"status", "-d", "1"}).ok());
}

// Usage errors are found without a device: exit 2 before anything opens.
TEST(Cli, ArgumentsCheckedBeforeTheDevice) {
    auto set = parse_args({"--device", "/nonexistent", "set", "magazine_size=x"});
    ASSERT_FALSE(set.ok());
    EXPECT_EQ(set.error().code, Exit::Usage);
    auto task = parse_args({"task", "12", "0"});
    ASSERT_FALSE(task.ok());
    EXPECT_EQ(task.error().code, Exit::Usage);
    EXPECT_TRUE(parse_args({"set", "anything=1"}).ok()); // names are the module's
}

TEST(Cli, PinAndUnpin) {
    auto pin = parse_args({"pin", "12", "13"});
    ASSERT_TRUE(pin.ok());
    EXPECT_EQ(pin.value().verb, Verb::Pin);
    EXPECT_EQ(pin.value().args.size(), 2U);
    EXPECT_FALSE(read_only(Verb::Pin));
    EXPECT_FALSE(read_only(Verb::Unpin));
    EXPECT_TRUE(read_only(Verb::Pins));
    auto all = parse_args({"unpin", "--all"});
    ASSERT_TRUE(all.ok());
    EXPECT_TRUE(all.value().all);
}

namespace {

// A usage error (exit 2), found before the device is opened.
void expect_usage_error(const std::vector<std::string> &argv) {
    auto r = parse_args(argv);
    ASSERT_FALSE(r.ok()) << argv[0];
    EXPECT_EQ(r.error().code, Exit::Usage) << argv[0];
}

} // namespace

TEST(Cli, PinUsageErrors) {
    expect_usage_error({"pin"});
    expect_usage_error({"pin", "0"});
    expect_usage_error({"pin", "x"});
    expect_usage_error({"pin", "--all"});
    expect_usage_error({"unpin"});
    expect_usage_error({"unpin", "--all", "12"});
    expect_usage_error({"pins", "12"});
    expect_usage_error({"--drop-caps", "pin", "1"});
}

TEST(Cli, MetricsCommand) {
    auto o = parse_args({"metrics"});
    ASSERT_TRUE(o.ok());
    EXPECT_EQ(o.value().verb, Verb::Metrics);
    EXPECT_TRUE(read_only(Verb::Metrics));
}

namespace {

std::string man_page() {
    std::ifstream in(DYNSTACKCTL_MANPAGE);
    return {(std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>()};
}

} // namespace

// The man page and the help document every command.
TEST(ManPage, HasEveryCommand) {
    const std::string page = man_page();
    ASSERT_FALSE(page.empty()) << DYNSTACKCTL_MANPAGE;
    const auto help = dynstack::usage();
    const auto names = dynstack::command_names();
    ASSERT_GE(names.size(), 13U);
    for (const auto name_view : names) {
        const std::string name(name_view);
        EXPECT_NE(help.find("  " + name), std::string::npos) << name;
        // A .TP entry starts with the command in bold: .B, .BR or .BI.
        const std::regex entry("\n\\.TP\n\\.B[RI]? " + name + "\\b");
        EXPECT_TRUE(std::regex_search(page, entry)) << name;
    }
}

TEST(ManPage, HasEveryOption) {
    const std::string page = man_page();
    for (const char *opt :
         {R"(\-\-json)", R"(\-\-pretty)", R"(\-\-drop\-caps)", R"(\-\-device)", R"(\-\-version)"}) {
        EXPECT_NE(page.find(opt), std::string::npos) << opt;
    }
}
