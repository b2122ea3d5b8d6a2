#pragma once
// RULER's metric for its synthetic tasks (string_match_all in NVIDIA/RULER's
// scripts/eval/synthetic/constants.py): the fraction of the reference strings that occur in
// the prediction, both lower-cased.

#include <string_view>
#include <vector>

#include "metrics/answer.h"

namespace evomem::metrics {

// 0..1; 0 for an empty reference list.
double string_match_all_score(std::string_view prediction, const std::vector<Answer>& answers);

}  // namespace evomem::metrics
