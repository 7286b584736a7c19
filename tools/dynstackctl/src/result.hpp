// SPDX-License-Identifier: GPL-2.0
// Errors as values: a value or a message a user can act on.
#pragma once

#include <string>
#include <utility>
#include <variant>

namespace dynstack {

struct Error {
    std::string message;
};

template <typename T> class Result {
  public:
    Result(T value) : v_(std::move(value)) {}     // NOLINT(google-explicit-constructor)
    Result(Error err) : v_(std::move(err)) {}     // NOLINT(google-explicit-constructor)
    [[nodiscard]] bool ok() const { return std::holds_alternative<T>(v_); }
    [[nodiscard]] const T &value() const { return std::get<T>(v_); }
    [[nodiscard]] const std::string &error() const { return std::get<Error>(v_).message; }

  private:
    std::variant<T, Error> v_;
};

} // namespace dynstack
