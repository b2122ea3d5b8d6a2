#include "metrics/utf8_text.h"

#include <locale.h>
#include <wctype.h>

#include <algorithm>
#include <array>

namespace evomem::metrics {
namespace {

// Code points of the digit zero of every Unicode 14 decimal-digit run (each run is 0..9).
constexpr std::array<char32_t, 64> kDigitZeros = {
    0x0030,  0x0660,  0x06F0,  0x07C0,  0x0966,  0x09E6,  0x0A66,  0x0AE6,  0x0B66,  0x0BE6,  0x0C66,  0x0CE6,  0x0D66,
    0x0DE6,  0x0E50,  0x0ED0,  0x0F20,  0x1040,  0x1090,  0x17E0,  0x1810,  0x1946,  0x19D0,  0x1A80,  0x1A90,  0x1B50,
    0x1BB0,  0x1C40,  0x1C50,  0xA620,  0xA8D0,  0xA900,  0xA9D0,  0xA9F0,  0xAA50,  0xABF0,  0xFF10,  0x104A0, 0x10D30,
    0x11066, 0x110F0, 0x11136, 0x111D0, 0x112F0, 0x11450, 0x114D0, 0x11650, 0x116C0, 0x11730, 0x118E0, 0x11950, 0x11C50,
    0x11D50, 0x11DA0, 0x16A60, 0x16AC0, 0x16B50, 0x1D7CE, 0x1D7D8, 0x1D7E2, 0x1D7EC, 0x1D7F6, 0x1E140, 0x1E2F0};
constexpr std::array<char32_t, 2> kMoreDigitZeros = {0x1E950, 0x1FBF0};

// Unicode character classes and case mapping come from glibc's C.UTF-8 tables, so the
// results do not depend on the user's locale.
locale_t unicode_locale() {
  static const locale_t locale = [] {
    locale_t made = newlocale(LC_CTYPE_MASK, "C.UTF-8", static_cast<locale_t>(nullptr));
    if (made == static_cast<locale_t>(nullptr))
      made = newlocale(LC_CTYPE_MASK, "C.utf8", static_cast<locale_t>(nullptr));
    return made;
  }();
  return locale;
}

bool is_letter(char32_t c) {
  const locale_t locale = unicode_locale();
  if (locale == static_cast<locale_t>(nullptr)) return (c < 128 && ((c | 32) >= 'a' && (c | 32) <= 'z'));
  return iswalpha_l(static_cast<wint_t>(c), locale) != 0;
}

}  // namespace

bool is_python_space(char32_t c) {
  if (c <= 0x20) return c == 0x20 || (c >= 0x09 && c <= 0x0D) || (c >= 0x1C && c <= 0x1F);
  switch (c) {
    case 0x85:
    case 0xA0:
    case 0x1680:
    case 0x2028:
    case 0x2029:
    case 0x202F:
    case 0x205F:
    case 0x3000: return true;
    default: return c >= 0x2000 && c <= 0x200A;
  }
}

bool is_unicode_decimal(char32_t c) {
  if (c >= '0' && c <= '9') return true;
  if (c < 0x660) return false;
  for (const char32_t zero : kDigitZeros) {
    if (c >= zero && c < zero + 10) return true;
  }
  for (const char32_t zero : kMoreDigitZeros) {
    if (c >= zero && c < zero + 10) return true;
  }
  return false;
}

int decimal_value(char32_t c) {
  if (c >= '0' && c <= '9') return static_cast<int>(c - '0');
  for (const char32_t zero : kDigitZeros) {
    if (c >= zero && c < zero + 10) return static_cast<int>(c - zero);
  }
  for (const char32_t zero : kMoreDigitZeros) {
    if (c >= zero && c < zero + 10) return static_cast<int>(c - zero);
  }
  return -1;
}

bool is_python_word_char(char32_t c) {
  if (c < 128) return c == '_' || (c >= '0' && c <= '9') || ((c | 32) >= 'a' && (c | 32) <= 'z');
  const locale_t locale = unicode_locale();
  if (locale == static_cast<locale_t>(nullptr)) return false;
  return iswalnum_l(static_cast<wint_t>(c), locale) != 0 || is_unicode_decimal(c);
}

std::u32string python_lower(std::u32string_view text) {
  std::u32string out;
  out.reserve(text.size());
  const locale_t locale = unicode_locale();
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char32_t c = text[i];
    if (c < 128) {
      out.push_back((c >= 'A' && c <= 'Z') ? c + 32 : c);
    } else if (c == 0x130) {  // LATIN CAPITAL LETTER I WITH DOT ABOVE: "i" + combining dot
      out.push_back(U'i');
      out.push_back(0x307);
    } else if (c == 0x3A3) {  // Greek capital sigma: final form at the end of a word
      const bool after_letter = i > 0 && is_letter(text[i - 1]);
      const bool before_letter = i + 1 < text.size() && is_letter(text[i + 1]);
      out.push_back(after_letter && !before_letter ? 0x3C2 : 0x3C3);
    } else if (locale != static_cast<locale_t>(nullptr)) {
      out.push_back(static_cast<char32_t>(towlower_l(static_cast<wint_t>(c), locale)));
    } else {
      out.push_back(c);
    }
  }
  return out;
}

std::u32string python_upper(std::u32string_view text) {
  std::u32string out;
  out.reserve(text.size());
  const locale_t locale = unicode_locale();
  for (const char32_t c : text) {
    if (c < 128) {
      out.push_back((c >= 'a' && c <= 'z') ? c - 32 : c);
    } else if (c == 0xDF) {  // sharp s upper-cases to "SS"
      out.append(U"SS");
    } else if (locale != static_cast<locale_t>(nullptr)) {
      out.push_back(static_cast<char32_t>(towupper_l(static_cast<wint_t>(c), locale)));
    } else {
      out.push_back(c);
    }
  }
  return out;
}

std::u32string_view python_strip(std::u32string_view text) {
  std::size_t begin = 0;
  std::size_t end = text.size();
  while (begin < end && is_python_space(text[begin])) ++begin;
  while (end > begin && is_python_space(text[end - 1])) --end;
  return text.substr(begin, end - begin);
}

std::vector<std::u32string> python_split(std::u32string_view text) {
  std::vector<std::u32string> words;
  std::size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && is_python_space(text[i])) ++i;
    const std::size_t start = i;
    while (i < text.size() && !is_python_space(text[i])) ++i;
    if (i > start) words.emplace_back(text.substr(start, i - start));
  }
  return words;
}

}  // namespace evomem::metrics
