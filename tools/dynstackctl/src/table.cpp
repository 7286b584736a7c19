// SPDX-License-Identifier: GPL-2.0
#include "table.hpp"

#include <algorithm>
#include <cctype>

namespace dynstack {

namespace {

bool numeric(const std::string &s) {
    return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
        return std::isdigit(static_cast<unsigned char>(c)) != 0 || c == '.' || c == '%' || c == '-';
    });
}

} // namespace

std::string Table::render() const {
    std::vector<std::size_t> width(headers_.size());
    std::vector<bool> right(headers_.size(), false);
    for (std::size_t c = 0; c < headers_.size(); c++) {
        width[c] = headers_[c].size();
        if (!rows_.empty() && c < rows_.front().size()) {
            right[c] = numeric(rows_.front()[c]);
        }
    }
    for (const auto &row : rows_) {
        for (std::size_t c = 0; c < row.size() && c < width.size(); c++) {
            width[c] = std::max(width[c], row[c].size());
        }
    }
    std::string out;
    auto line = [&](const std::vector<std::string> &cells) {
        std::string l;
        for (std::size_t c = 0; c < width.size(); c++) {
            const std::string cell = c < cells.size() ? cells[c] : "";
            const std::string pad(width[c] - std::min(width[c], cell.size()), ' ');
            if (c > 0) {
                l += "  ";
            }
            l += right[c] ? pad + cell : cell + pad;
        }
        while (!l.empty() && l.back() == ' ') {
            l.pop_back();
        }
        out += l + "\n";
    };
    line(headers_);
    for (const auto &row : rows_) {
        line(row);
    }
    return out;
}

} // namespace dynstack
