#pragma once
// UTF-8 <-> code points, and the character classes of Python 3 `str` that the published
// metric scripts rely on (str.split() white space, `\d`, `\w`, str.lower()). The metrics are
// defined on Python strings, i.e. on code points, so every metric works on std::u32string.

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace evomem::tasks {

// Byte offset of the first ill-formed UTF-8 sequence (overlong forms, surrogates and
// values above U+10FFFF are ill-formed), or nullopt when `text` is valid.
std::optional<std::size_t> find_invalid_utf8(std::string_view text);

// Decodes valid UTF-8 (check with find_invalid_utf8 first); an ill-formed byte becomes U+FFFD.
std::u32string utf8_to_code_points(std::string_view text);
std::string code_points_to_utf8(std::u32string_view text);

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

}  // namespace evomem::tasks
