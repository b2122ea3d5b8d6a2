#include "metrics/number_match.h"

#include "core/error.h"
#include "core/utf8.h"
#include "metrics/utf8_text.h"

namespace evomem::metrics {
namespace {

double fraction_equal(std::string_view prediction, const std::u32string& target) {
  const auto numbers = digit_runs(core::utf8_to_code_points(prediction));
  if (numbers.empty()) return 0.0;
  std::size_t right = 0;
  for (const auto& number : numbers) right += number == target ? 1 : 0;
  return static_cast<double>(right) / static_cast<double>(numbers.size());
}

// The digits after the first `marker` that is followed by at least one digit (`marker(\d+)`).
std::u32string number_after(std::string_view reference, const std::u32string& marker) {
  const std::u32string text = core::utf8_to_code_points(reference);
  std::size_t from = 0;
  while (true) {
    const std::size_t at = text.find(marker, from);
    if (at == std::u32string::npos) {
      throw InputError("reference answer '" + std::string(reference) + "' does not name a paragraph as '" +
                       core::code_points_to_utf8(marker) + "N'; the retrieval metric needs that form");
    }
    std::size_t end = at + marker.size();
    while (end < text.size() && is_unicode_decimal(text[end])) ++end;
    if (end > at + marker.size()) return text.substr(at + marker.size(), end - at - marker.size());
    from = at + 1;
  }
}

}  // namespace

std::vector<std::u32string> digit_runs(std::u32string_view text) {
  std::vector<std::u32string> runs;
  std::size_t i = 0;
  while (i < text.size()) {
    if (!is_unicode_decimal(text[i])) {
      ++i;
      continue;
    }
    const std::size_t start = i;
    while (i < text.size() && is_unicode_decimal(text[i])) ++i;
    runs.emplace_back(text.substr(start, i - start));
  }
  return runs;
}

double count_score(std::string_view prediction, std::string_view reference) {
  return fraction_equal(prediction, core::utf8_to_code_points(reference));
}

double retrieval_score(std::string_view prediction, std::string_view reference) {
  return fraction_equal(prediction, number_after(reference, U"Paragraph "));
}

double retrieval_zh_score(std::string_view prediction, std::string_view reference) {
  return fraction_equal(prediction, number_after(reference, U"段落"));
}

}  // namespace evomem::metrics
