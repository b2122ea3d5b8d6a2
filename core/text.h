#pragma once
// Small text helpers for messages and listings.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace evomem::core {

// "a, b, c" (or with another separator).
std::string join(const std::vector<std::string>& items, std::string_view separator = ", ");
// "a,,b," -> {"a", "b"}: the pieces between separators, empty ones dropped (lists on command
// lines and in configuration values).
std::vector<std::string> split(std::string_view text, char separator = ',');

// Whether `text` ends with `suffix`.
bool ends_with(std::string_view text, std::string_view suffix);

// "[4, 32, 8]": a tensor shape as messages show it.
std::string shape_text(const std::vector<std::int64_t>& shape);

}  // namespace evomem::core
