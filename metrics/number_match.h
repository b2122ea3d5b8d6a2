#pragma once
// LongBench count_score, retrieval_score and retrieval_zh_score: the fraction of the numbers
// (runs of Unicode decimal digits, Python's `\d+`) in the prediction that equal the reference
// number.

#include <string>
#include <string_view>
#include <vector>

namespace evomem::metrics {

// Every maximal run of decimal digits, as written.
std::vector<std::u32string> digit_runs(std::u32string_view text);

// count: the reference is the number itself ("3").
double count_score(std::string_view prediction, std::string_view reference);
// retrieval: the reference is "Paragraph N" (English) or "段落N" (Chinese); the number is the
// first such mention. InputError if the reference has none (the published script crashes).
double retrieval_score(std::string_view prediction, std::string_view reference);
double retrieval_zh_score(std::string_view prediction, std::string_view reference);

}  // namespace evomem::metrics
