#include "metrics/classification.h"

#include <algorithm>

namespace evomem::metrics {

double classification(std::string_view prediction, std::string_view reference,
                      const std::vector<std::string>& all_classes) {
  std::vector<std::string_view> matches;
  for (const auto& name : all_classes) {
    if (prediction.find(name) != std::string_view::npos) matches.emplace_back(name);
  }
  // A Python for-loop over a list walks indices 0, 1, ...; list.remove deletes the first equal
  // item, shifting the rest left, so the item after a removed one is never visited.
  for (std::size_t index = 0; index < matches.size(); ++index) {
    const std::string_view term = matches[index];
    if (reference.find(term) != std::string_view::npos && term != reference) {
      matches.erase(std::find(matches.begin(), matches.end(), term));
    }
  }
  // The published `if em_match_list != 0` is always true, so the fuzzy fallback never runs.
  if (std::find(matches.begin(), matches.end(), reference) == matches.end()) return 0.0;
  return 1.0 / static_cast<double>(matches.size());
}

}  // namespace evomem::metrics
