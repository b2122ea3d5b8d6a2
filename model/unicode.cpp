#include "model/unicode.h"

#include "core/utf8.h"

namespace evomem::model::unicode {

bool is_white_space(char32_t c) {
  return (c >= 0x09 && c <= 0x0D) || c == 0x20 || c == 0x85 || c == 0xA0 || c == 0x1680 ||
         (c >= 0x2000 && c <= 0x200A) || c == 0x2028 || c == 0x2029 || c == 0x202F || c == 0x205F || c == 0x3000;
}

std::string_view trim_start(std::string_view text) {
  std::size_t offset = 0;
  while (offset < text.size()) {
    std::size_t next = offset;
    if (!is_white_space(core::next_code_point(text, next))) break;
    offset = next;
  }
  return text.substr(offset);
}

std::string_view trim_end(std::string_view text) {
  std::size_t end = text.size();
  while (end > 0) {
    std::size_t start = end - 1;
    while (start > 0 && (static_cast<unsigned char>(text[start]) & 0xC0) == 0x80) --start;
    std::size_t cursor = start;
    if (!is_white_space(core::next_code_point(text, cursor))) break;
    end = start;
  }
  return text.substr(0, end);
}

}  // namespace evomem::model::unicode
