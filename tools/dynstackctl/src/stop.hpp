// SPDX-License-Identifier: GPL-2.0
// Stopping a long-running command (watch) on SIGINT or SIGTERM, promptly.
#pragma once

#include <chrono>

namespace dynstack {

// Catch SIGINT and SIGTERM from now on: they set a flag instead of killing.
void catch_stop_signals();

// The stop signal that arrived (SIGINT, SIGTERM), or 0.
int stop_signal();

// Forget an earlier stop signal (tests).
void clear_stop_signal();

// Sleep for @d, or until a stop signal arrives, whichever is first; wakes
// at most every kStopPoll to look. Returns false if a signal cut it short.
inline constexpr std::chrono::milliseconds kStopPoll{20};
bool sleep_unless_stopped(std::chrono::milliseconds d);

} // namespace dynstack
