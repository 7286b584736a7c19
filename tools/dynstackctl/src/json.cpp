// SPDX-License-Identifier: GPL-2.0
#include "json.hpp"

#include <array>
#include <cmath>
#include <cstdio>

namespace dynstack {

namespace {

// Length of the well-formed UTF-8 sequence at the start of @s (RFC 3629:
// no overlong forms, no surrogates, nothing above U+10FFFF), or 0.
std::size_t utf8_sequence(std::string_view s) {
    const auto b = [&](std::size_t i) { return static_cast<unsigned char>(s[i]); };
    const auto cont = [&](std::size_t i) { return i < s.size() && (b(i) & 0xC0) == 0x80; };
    const unsigned char c = b(0);
    if (c >= 0xC2 && c <= 0xDF) {
        return cont(1) ? 2 : 0;
    }
    if (c >= 0xE0 && c <= 0xEF) {
        if (!cont(1) || !cont(2)) {
            return 0;
        }
        if ((c == 0xE0 && b(1) < 0xA0) || (c == 0xED && b(1) > 0x9F)) {
            return 0; // overlong, or a UTF-16 surrogate
        }
        return 3;
    }
    if (c >= 0xF0 && c <= 0xF4) {
        if (!cont(1) || !cont(2) || !cont(3)) {
            return 0;
        }
        if ((c == 0xF0 && b(1) < 0x90) || (c == 0xF4 && b(1) > 0x8F)) {
            return 0; // overlong, or above U+10FFFF
        }
        return 4;
    }
    return 0;
}

} // namespace

// A JSON string is UTF-8 (RFC 8259): any byte that does not start a
// well-formed sequence (a thread name is whatever bytes prctl() was given)
// becomes U+FFFD, as a strict decoder with errors="replace" would show it.
std::string json_escape(std::string_view s) {
    std::string out;
    out.reserve(s.size() + 2);
    out += '"';
    for (std::size_t i = 0; i < s.size();) {
        const char c = s[i];
        const auto u = static_cast<unsigned char>(c);
        if (u >= 0x80) {
            const std::size_t n = utf8_sequence(s.substr(i));
            if (n == 0) {
                out += "\\ufffd";
                i++;
            } else {
                out.append(s.substr(i, n));
                i += n;
            }
            continue;
        }
        i++;
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
            if (u < 0x20) {
                std::array<char, 8> buf{};
                std::snprintf(buf.data(), buf.size(), "\\u%04x", static_cast<unsigned>(u));
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

std::string json_pretty(std::string_view compact) {
    std::string out;
    int depth = 0;
    bool in_string = false;
    bool escaped = false;
    const auto newline = [&out, &depth] {
        out += '\n';
        out.append(static_cast<std::size_t>(depth) * 2, ' ');
    };
    for (std::size_t i = 0; i < compact.size(); i++) {
        const char c = compact[i];
        if (in_string) {
            out += c;
            escaped = !escaped && c == '\\';
            in_string = escaped || c != '"';
            continue;
        }
        switch (c) {
        case '"':
            in_string = true;
            out += c;
            break;
        case '{':
        case '[': {
            out += c;
            const char next = i + 1 < compact.size() ? compact[i + 1] : '\0';
            if (next == '}' || next == ']') {
                out += next; // empty container stays on one line
                i++;
                break;
            }
            depth++;
            newline();
            break;
        }
        case '}':
        case ']':
            depth--;
            newline();
            out += c;
            break;
        case ',':
            out += c;
            newline();
            break;
        case ':':
            out += ": ";
            break;
        default:
            out += c;
        }
    }
    return out;
}

} // namespace dynstack
