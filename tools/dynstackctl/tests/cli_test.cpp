// SPDX-License-Identifier: GPL-2.0
#include "cli.hpp"

#include <gtest/gtest.h>

using dynstack::parse_args;
using dynstack::Verb;

TEST(Cli, StatusWithJson) {
    auto cmd = parse_args({"--json", "status"});
    ASSERT_TRUE(cmd.ok()) << cmd.error();
    EXPECT_EQ(cmd.value().verb, Verb::Status);
    EXPECT_TRUE(cmd.value().json);
}

TEST(Cli, HelpWins) {
    auto cmd = parse_args({"status", "--help"});
    ASSERT_TRUE(cmd.ok());
    EXPECT_EQ(cmd.value().verb, Verb::Help);
}

TEST(Cli, NoCommandIsAnError) {
    auto cmd = parse_args({});
    ASSERT_FALSE(cmd.ok());
    EXPECT_NE(cmd.error().find("no command"), std::string::npos);
}

TEST(Cli, UnknownOptionNamed) {
    auto cmd = parse_args({"--frobnicate", "status"});
    ASSERT_FALSE(cmd.ok());
    EXPECT_NE(cmd.error().find("--frobnicate"), std::string::npos);
}

TEST(Cli, UnknownCommandNamed) {
    auto cmd = parse_args({"stauts"});
    ASSERT_FALSE(cmd.ok());
    EXPECT_NE(cmd.error().find("stauts"), std::string::npos);
}
