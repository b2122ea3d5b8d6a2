#pragma once
// The few Unicode properties the tokenizer pipeline needs outside of PCRE2 (UTF-8 encoding
// and validation are in core/utf8.h).

#include <string_view>

namespace evomem::model::unicode {

// The Unicode White_Space property (what `\s` means for Unicode-aware regex engines).
bool is_white_space(char32_t code_point);

// Removes leading / trailing White_Space code points of well-formed UTF-8.
std::string_view trim_start(std::string_view text);
std::string_view trim_end(std::string_view text);

}  // namespace evomem::model::unicode
