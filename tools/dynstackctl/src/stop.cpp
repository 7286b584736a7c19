// SPDX-License-Identifier: GPL-2.0
#include "stop.hpp"

#include <atomic>
#include <csignal>
#include <thread>

namespace dynstack {
namespace {

// Written by the signal handler: a lock-free atomic is async-signal-safe.
std::atomic<int> &stop_flag() {
    static std::atomic<int> flag{0};
    static_assert(std::atomic<int>::is_always_lock_free);
    return flag;
}

extern "C" void on_stop_signal(int sig) { stop_flag().store(sig); }

} // namespace

void catch_stop_signals() {
    struct sigaction sa {};
    sa.sa_handler = on_stop_signal;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = 0; // no SA_RESTART: a blocking call returns EINTR
    sigaction(SIGINT, &sa, nullptr);
    sigaction(SIGTERM, &sa, nullptr);
}

int stop_signal() { return stop_flag().load(); }

void clear_stop_signal() { stop_flag().store(0); }

bool sleep_unless_stopped(std::chrono::milliseconds d) {
    const auto end = std::chrono::steady_clock::now() + d;
    while (stop_signal() == 0) {
        const auto left = end - std::chrono::steady_clock::now();
        if (left <= std::chrono::steady_clock::duration::zero()) {
            return true;
        }
        std::this_thread::sleep_for(std::min<std::chrono::steady_clock::duration>(left, kStopPoll));
    }
    return false;
}

} // namespace dynstack
