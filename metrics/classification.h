#pragma once
// LongBench classification_score (trec, lsht).

#include <string>
#include <string_view>
#include <vector>

namespace evomem::metrics {

// The class names found in the prediction (substring test, in `all_classes` order), minus
// names that are a strict substring of the reference, removed the way the published loop
// does it (removing while iterating skips the item after each removal); the score is
// 1 / #remaining if the reference is among them, else 0.
double classification(std::string_view prediction, std::string_view reference,
                      const std::vector<std::string>& all_classes);

}  // namespace evomem::metrics
