#pragma once
// The character classes of Python 3 `str` that the published metric scripts rely on
// (str.split() white space, `\d`, `\w`, str.lower()). The metrics are defined on Python
// strings, i.e. on code points, so every metric works on std::u32string (decoded with
// core/utf8.h).

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace evomem::metrics {

// Python's str.isspace(): Unicode white space plus the ASCII separators \x1c-\x1f.
bool is_python_space(char32_t c);
// Python's `\d` on str patterns: any Unicode decimal digit (category Nd).
bool is_unicode_decimal(char32_t c);
// Value 0-9 of a decimal digit (is_unicode_decimal must hold).
int decimal_value(char32_t c);
// Python's `\w` on str patterns (alphanumeric or underscore).
bool is_python_word_char(char32_t c);
// Python's str.lower() (full lower-case mapping; U+0130 becomes two code points).
std::u32string python_lower(std::u32string_view text);

// Python's str.upper() (full mapping for the common special cases such as U+00DF).
std::u32string python_upper(std::u32string_view text);
// Python's str.strip() with no argument.
std::u32string_view python_strip(std::u32string_view text);

// Python's str.split() with no argument: runs of white space separate, none are kept.
std::vector<std::u32string> python_split(std::u32string_view text);

}  // namespace evomem::metrics
