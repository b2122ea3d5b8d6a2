#pragma once
// UTF-8 encoding, validation and decoding shared by the tokenizer (model) and the metrics
// (tasks). Well-formed means what the Unicode standard (section 3.9) says: no overlong
// forms, no surrogates, nothing beyond U+10FFFF.

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace evomem::core {

inline constexpr char32_t kReplacementCharacter = 0xFFFD;

// Appends the UTF-8 encoding of `code_point` to `out`.
void append_utf8(std::string& out, char32_t code_point);

// Length in bytes of the well-formed UTF-8 sequence starting at text[offset], or 0 if the
// bytes there do not form one (truncated, overlong, surrogate, beyond U+10FFFF).
std::size_t valid_sequence_length(std::string_view text, std::size_t offset);

// True if `text` is well-formed UTF-8.
bool is_valid_utf8(std::string_view text);

// Byte offset of the first ill-formed sequence, or nullopt when `text` is well-formed.
std::optional<std::size_t> find_invalid_utf8(std::string_view text);

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

// Code points of `text`; each byte that starts no well-formed sequence becomes U+FFFD.
std::u32string utf8_to_code_points(std::string_view text);
std::string code_points_to_utf8(std::u32string_view text);

}  // namespace evomem::core
