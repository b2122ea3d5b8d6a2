#pragma once
// ROUGE-L as the two published scorers compute it:
//  - LongBench: the `rouge` Python package (1.0.1), Rouge().get_scores(avg=True)["rouge-l"]["f"]:
//    sentences split on '.', summary-level union LCS over *sets* of words, F with a 1e-8
//    guard; any failure of the package (empty text) scores 0.
//  - InfiniteBench longbook_sum_eng: Google's rouge_score "rougeLsum" (via `evaluate`):
//    sentences split on newlines, tokens are lower-case [a-z0-9]+ runs, F-measure.

#include <string>
#include <string_view>
#include <vector>

namespace evomem::metrics {

struct RougeOptions {
  // The `rouge` package reconstructs each LCS recursively; a sentence pair needing more than
  // this many Python frames raises RecursionError, which LongBench turns into a score of 0.
  // 0 disables this parity rule (long Chinese summaries, which have no '.', are affected).
  int recursion_budget = 990;
};

// LongBench `rouge_score(prediction, ground_truth)`.
double rouge_l(std::string_view prediction, std::string_view reference, const RougeOptions& options = {});
// LongBench `rouge_zh_score`: both texts are segmented with jieba and joined by spaces first.
double rouge_zh(std::string_view prediction, std::string_view reference, const RougeOptions& options = {});
// InfiniteBench rougeLsum F-measure.
double rouge_lsum(std::string_view prediction, std::string_view reference);

}  // namespace evomem::metrics
