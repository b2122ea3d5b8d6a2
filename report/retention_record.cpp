#include "report/retention_record.h"

#include <cctype>

namespace evomem::report {

const char* token_class_name(TokenClass token_class) {
  switch (token_class) {
    case TokenClass::kWhitespace: return "whitespace";
    case TokenClass::kPunctuation: return "punctuation";
    case TokenClass::kDigits: return "digits";
    case TokenClass::kWords: return "words";
    case TokenClass::kSpecial: return "special";
    case TokenClass::kOther: return "other";
  }
  return "other";
}

TokenClass classify_token(const std::string& text, bool special) {
  if (special) return TokenClass::kSpecial;
  bool any_visible = false, all_punctuation = true, all_digits = true, any_letter = false, any_non_ascii = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const auto byte = static_cast<unsigned char>(text[i]);
    if (byte < 0x80 && std::isspace(byte)) continue;
    any_visible = true;
    if (byte >= 0x80) {
      // U+FFFD (EF BF BD): a token that decodes to part of a multi-byte character.
      if (text.compare(i, 3, "\xEF\xBF\xBD") == 0) return TokenClass::kOther;
      any_non_ascii = true;
      all_punctuation = all_digits = false;
      continue;
    }
    if (std::isalpha(byte)) any_letter = true;
    if (!std::ispunct(byte)) all_punctuation = false;
    if (!std::isdigit(byte)) all_digits = false;
  }
  if (!any_visible) return TokenClass::kWhitespace;
  if (any_letter) return TokenClass::kWords;
  if (all_digits) return TokenClass::kDigits;
  if (all_punctuation) return TokenClass::kPunctuation;
  // Whole non-ASCII characters: letters of other scripts far more often than symbols.
  if (any_non_ascii) return TokenClass::kWords;
  return TokenClass::kOther;
}

std::vector<std::uint8_t> SampleRetention::keep_mask(std::int64_t layer) const {
  const auto& evicted = evicted_at[static_cast<std::size_t>(layer)];
  std::vector<std::uint8_t> mask(evicted.size());
  for (std::size_t i = 0; i < evicted.size(); ++i) mask[i] = evicted[i] == kNeverEvicted ? 1 : 0;
  return mask;
}

}  // namespace evomem::report
