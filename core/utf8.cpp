#include "core/utf8.h"

namespace evomem::core {

void append_utf8(std::string& out, char32_t code_point) {
  if (code_point < 0x80) {
    out.push_back(static_cast<char>(code_point));
  } else if (code_point < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (code_point >> 6)));
    out.push_back(static_cast<char>(0x80 | (code_point & 0x3F)));
  } else if (code_point < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | (code_point >> 12)));
    out.push_back(static_cast<char>(0x80 | ((code_point >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (code_point & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xF0 | (code_point >> 18)));
    out.push_back(static_cast<char>(0x80 | ((code_point >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((code_point >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (code_point & 0x3F)));
  }
}

namespace {

// Number of leading bytes of the sequence at `offset` that could still be the start of a
// well-formed sequence (the "maximal subpart" of the Unicode standard, section 3.9), and the
// full length expected. Returns {valid_prefix, expected}.
struct SequenceCheck {
  std::size_t prefix = 0;
  std::size_t expected = 0;
};

SequenceCheck check_sequence(std::string_view text, std::size_t offset) {
  const auto byte = [&](std::size_t i) { return static_cast<unsigned char>(text[offset + i]); };
  const std::size_t available = text.size() - offset;
  const unsigned char lead = byte(0);
  if (lead < 0x80) return {1, 1};
  std::size_t expected = 0;
  unsigned char second_low = 0x80;
  unsigned char second_high = 0xBF;
  if (lead >= 0xC2 && lead <= 0xDF) {
    expected = 2;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    expected = 3;
    if (lead == 0xE0) second_low = 0xA0;   // no overlong forms
    if (lead == 0xED) second_high = 0x9F;  // no surrogates
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    expected = 4;
    if (lead == 0xF0) second_low = 0x90;
    if (lead == 0xF4) second_high = 0x8F;  // nothing beyond U+10FFFF
  } else {
    return {0, 1};
  }
  std::size_t prefix = 1;
  for (std::size_t i = 1; i < expected; ++i) {
    if (i >= available) return {prefix, expected};
    const unsigned char continuation = byte(i);
    const unsigned char low = i == 1 ? second_low : 0x80;
    const unsigned char high = i == 1 ? second_high : 0xBF;
    if (continuation < low || continuation > high) return {prefix, expected};
    ++prefix;
  }
  return {prefix, expected};
}

}  // namespace

std::size_t valid_sequence_length(std::string_view text, std::size_t offset) {
  if (offset >= text.size()) return 0;
  const SequenceCheck check = check_sequence(text, offset);
  return check.prefix == check.expected ? check.expected : 0;
}

bool is_valid_utf8(std::string_view text) {
  std::size_t offset = 0;
  while (offset < text.size()) {
    if (static_cast<unsigned char>(text[offset]) < 0x80) {
      ++offset;
      continue;
    }
    const std::size_t length = valid_sequence_length(text, offset);
    if (length == 0) return false;
    offset += length;
  }
  return true;
}

std::string to_valid_utf8(std::string_view bytes) {
  std::string out;
  out.reserve(bytes.size());
  std::size_t offset = 0;
  while (offset < bytes.size()) {
    const unsigned char lead = static_cast<unsigned char>(bytes[offset]);
    if (lead < 0x80) {
      out.push_back(static_cast<char>(lead));
      ++offset;
      continue;
    }
    const SequenceCheck check = check_sequence(bytes, offset);
    if (check.prefix == check.expected) {
      out.append(bytes.substr(offset, check.expected));
      offset += check.expected;
    } else {
      append_utf8(out, kReplacementCharacter);
      offset += check.prefix == 0 ? 1 : check.prefix;
    }
  }
  return out;
}

char32_t next_code_point(std::string_view text, std::size_t& offset) {
  const unsigned char lead = static_cast<unsigned char>(text[offset]);
  const std::size_t length = sequence_length_from_lead(lead);
  char32_t code_point = 0;
  switch (length) {
    case 1: code_point = lead; break;
    case 2: code_point = lead & 0x1F; break;
    case 3: code_point = lead & 0x0F; break;
    default: code_point = lead & 0x07; break;
  }
  for (std::size_t i = 1; i < length && offset + i < text.size(); ++i) {
    code_point = (code_point << 6) | (static_cast<unsigned char>(text[offset + i]) & 0x3F);
  }
  offset += length;
  return code_point;
}

std::optional<std::size_t> find_invalid_utf8(std::string_view text) {
  std::size_t offset = 0;
  while (offset < text.size()) {
    const std::size_t length = valid_sequence_length(text, offset);
    if (length == 0) return offset;
    offset += length;
  }
  return std::nullopt;
}

std::u32string utf8_to_code_points(std::string_view text) {
  std::u32string out;
  out.reserve(text.size());
  std::size_t offset = 0;
  while (offset < text.size()) {
    if (valid_sequence_length(text, offset) == 0) {
      out.push_back(kReplacementCharacter);
      ++offset;
    } else {
      out.push_back(next_code_point(text, offset));
    }
  }
  return out;
}

std::string code_points_to_utf8(std::u32string_view text) {
  std::string out;
  out.reserve(text.size());
  for (const char32_t code_point : text) append_utf8(out, code_point);
  return out;
}

}  // namespace evomem::core
