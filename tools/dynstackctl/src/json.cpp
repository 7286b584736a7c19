// SPDX-License-Identifier: GPL-2.0
#include "json.hpp"

#include <array>
#include <cmath>
#include <cstdio>

namespace dynstack {

std::string json_escape(std::string_view s) {
    std::string out;
    out.reserve(s.size() + 2);
    out += '"';
    for (const char c : s) {
        switch (c) {
        case '"':
            out += "\\\"";
            break;
        case '\\':
            out += "\\\\";
            break;
        case '\n':
            out += "\\n";
            break;
        case '\t':
            out += "\\t";
            break;
        default:
            if (static_cast<unsigned char>(c) < 0x20) {
                std::array<char, 8> buf{};
                std::snprintf(buf.data(), buf.size(), "\\u%04x", static_cast<unsigned>(c));
                out += buf.data();
            } else {
                out += c;
            }
        }
    }
    out += '"';
    return out;
}

void Json::comma() {
    if (after_key_) {
        after_key_ = false;
        return;
    }
    if (!first_.empty()) {
        if (!first_.back()) {
            out_ += ',';
        }
        first_.back() = false;
    }
}

Json &Json::begin_object() {
    comma();
    out_ += '{';
    first_.push_back(true);
    return *this;
}

Json &Json::end_object() {
    out_ += '}';
    first_.pop_back();
    return *this;
}

Json &Json::begin_array() {
    comma();
    out_ += '[';
    first_.push_back(true);
    return *this;
}

Json &Json::end_array() {
    out_ += ']';
    first_.pop_back();
    return *this;
}

Json &Json::key(std::string_view k) {
    comma();
    out_ += json_escape(k);
    out_ += ':';
    after_key_ = true;
    return *this;
}

Json &Json::value(double v) {
    comma();
    if (!std::isfinite(v)) {
        out_ += "null";
        return *this;
    }
    std::array<char, 32> buf{};
    std::snprintf(buf.data(), buf.size(), "%.2f", v);
    out_ += buf.data();
    return *this;
}

Json &Json::value(bool v) {
    comma();
    out_ += v ? "true" : "false";
    return *this;
}

Json &Json::value(std::string_view v) {
    comma();
    out_ += json_escape(v);
    return *this;
}

} // namespace dynstack
