// SPDX-License-Identifier: GPL-2.0
// A small JSON writer: enough for dynstackctl's stable, documented output.
#pragma once

#include <concepts>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace dynstack {

class Json {
  public:
    Json &begin_object();
    Json &end_object();
    Json &begin_array();
    Json &end_array();
    Json &key(std::string_view k);
    template <std::integral T>
    requires(!std::same_as<T, bool>) Json &value(T v) {
        comma();
        out_ += std::to_string(v);
        return *this;
    }
    Json &value(double v);
    Json &value(bool v);
    Json &value(std::string_view v);
    template <typename T> Json &field(std::string_view k, const T &v) { return key(k).value(v); }
    [[nodiscard]] std::string str() const { return out_ + "\n"; }

  private:
    void comma();
    std::string out_;
    std::vector<bool> first_; // per open container: no element written yet
    bool after_key_ = false;
};

std::string json_escape(std::string_view s);

// Compact JSON (as Json::str() makes it) indented by 2 spaces per level,
// like bpftool -p. Strings are copied untouched.
std::string json_pretty(std::string_view compact);

} // namespace dynstack
