// SPDX-License-Identifier: GPL-2.0
// Aligned text tables for human output.
#pragma once

#include <string>
#include <vector>

namespace dynstack {

class Table {
  public:
    explicit Table(std::vector<std::string> headers) : headers_(std::move(headers)) {}
    void add(std::vector<std::string> row) { rows_.push_back(std::move(row)); }
    // Columns are left-aligned when their first cell is not a number.
    [[nodiscard]] std::string render() const;

  private:
    std::vector<std::string> headers_;
    std::vector<std::vector<std::string>> rows_;
};

} // namespace dynstack
