#pragma once
// UTF-8 helpers for the tokenizer: validation with replacement, code point iteration and
// the few Unicode properties the tokenizer pipeline needs outside of PCRE2.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace evomem::model::unicode {

inline constexpr char32_t kReplacementCharacter = 0xFFFD;

// Appends the UTF-8 encoding of `code_point` to `out`.
void append_utf8(std::string& out, char32_t code_point);

// Length in bytes of the well-formed UTF-8 sequence starting at text[offset], or 0 if the
// bytes there do not form one (truncated, overlong, surrogate, beyond U+10FFFF).
std::size_t valid_sequence_length(std::string_view text, std::size_t offset);

// True if `text` is well-formed UTF-8.
bool is_valid_utf8(std::string_view text);

// Returns `bytes` as well-formed UTF-8: every maximal ill-formed subpart becomes one U+FFFD,
// the substitution the WHATWG Encoding standard (and so the JavaScript reference) makes.
std::string to_valid_utf8(std::string_view bytes);

// Decodes the code point at text[offset] of *well-formed* UTF-8 and advances `offset`.
char32_t next_code_point(std::string_view text, std::size_t& offset);

// Byte length of the UTF-8 sequence whose lead byte is `lead` (1 for invalid lead bytes).
inline std::size_t sequence_length_from_lead(unsigned char lead) {
  if (lead < 0x80) return 1;
  if ((lead >> 5) == 0x6) return 2;
  if ((lead >> 4) == 0xE) return 3;
  if ((lead >> 3) == 0x1E) return 4;
  return 1;
}

// The Unicode White_Space property (what `\s` means for Unicode-aware regex engines).
bool is_white_space(char32_t code_point);

// Removes leading / trailing White_Space code points of well-formed UTF-8.
std::string_view trim_start(std::string_view text);
std::string_view trim_end(std::string_view text);

}  // namespace evomem::model::unicode
