// SPDX-License-Identifier: GPL-2.0
#include "stop.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <csignal>
#include <thread>

using namespace dynstack;
using std::chrono::milliseconds;

namespace {

// How long a 10 s sleep_unless_stopped() lasts when @sig arrives after 50 ms.
milliseconds interrupted_sleep(int sig) {
    clear_stop_signal();
    catch_stop_signals();
    std::thread killer([sig] {
        std::this_thread::sleep_for(milliseconds(50));
        std::raise(sig);
    });
    const auto start = std::chrono::steady_clock::now();
    const bool full = sleep_unless_stopped(milliseconds(10000));
    const auto took =
        std::chrono::duration_cast<milliseconds>(std::chrono::steady_clock::now() - start);
    killer.join();
    EXPECT_FALSE(full);
    EXPECT_EQ(stop_signal(), sig);
    clear_stop_signal();
    return took;
}

} // namespace

// `dynstackctl watch` must stop within 100 ms of Ctrl-C (issue 13): its
// sleep between samples is this one.
TEST(Stop, SigintEndsTheSleepWithin100ms) {
    EXPECT_LT(interrupted_sleep(SIGINT).count(), 50 + 100);
}

TEST(Stop, SigtermEndsTheSleepWithin100ms) {
    EXPECT_LT(interrupted_sleep(SIGTERM).count(), 50 + 100);
}

TEST(Stop, NoSignalSleepsTheWholeTime) {
    clear_stop_signal();
    const auto start = std::chrono::steady_clock::now();
    EXPECT_TRUE(sleep_unless_stopped(milliseconds(60)));
    EXPECT_GE(std::chrono::steady_clock::now() - start, milliseconds(60));
}
