#include "metrics/synthetic_metric.h"

#include <cctype>
#include <string>

namespace evomem::metrics {
namespace {

// Python's str.lower() on the ASCII range; the generators only write ASCII answers, and
// leaving other bytes alone keeps UTF-8 intact.
std::string ascii_lower(std::string_view text) {
  std::string lowered(text);
  for (char& c : lowered) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return lowered;
}

}  // namespace

double string_match_all_score(std::string_view prediction, const std::vector<Answer>& answers) {
  if (answers.empty()) return 0.0;
  const std::string lowered = ascii_lower(prediction);
  std::size_t found = 0;
  for (const auto& answer : answers) {
    if (lowered.find(ascii_lower(answer.text)) != std::string::npos) ++found;
  }
  return static_cast<double>(found) / static_cast<double>(answers.size());
}

}  // namespace evomem::metrics
