// SPDX-License-Identifier: GPL-2.0
// Errors as values: a value, or a message a user can act on plus an exit code.
#pragma once

#include <string>
#include <utility>
#include <variant>

namespace dynstack {

// Exit codes of dynstackctl (docs/usage.md).
enum class Exit : int {
    Ok = 0,
    Failure = 1,    // the module or an ioctl failed (a refused value is Usage)
    Usage = 2,      // bad command line or value
    Permission = 3, // a capability or access right is missing
    NoModule = 4,   // dynstack.ko not loaded, or an ABI it does not speak
};

struct Error {
    std::string message;
    Exit code = Exit::Failure;
    int sys_errno = 0; // the errno behind it, if a system call failed
};

template <typename T> class Result {
  public:
    Result(T value) : v_(std::move(value)) {} // NOLINT(google-explicit-constructor)
    Result(Error err) : v_(std::move(err)) {} // NOLINT(google-explicit-constructor)
    [[nodiscard]] bool ok() const { return std::holds_alternative<T>(v_); }
    [[nodiscard]] const T &value() const { return std::get<T>(v_); }
    [[nodiscard]] T &value() { return std::get<T>(v_); }
    [[nodiscard]] const Error &error() const { return std::get<Error>(v_); }

  private:
    std::variant<T, Error> v_;
};

// For operations that return nothing but may fail.
struct Unit {};

} // namespace dynstack
