#pragma once
// Token-level F1 of the LongBench / InfiniteBench QA tasks.

#include <string>
#include <string_view>
#include <vector>

namespace evomem::metrics {

// F1 of two token multisets (0 when they share no token), computed in the published order of
// floating-point operations so results are bit-identical.
double token_f1(const std::vector<std::u32string>& prediction, const std::vector<std::u32string>& reference);

// qa_f1: F1 of the normalised English words (normalize.h).
double qa_f1(std::string_view prediction, std::string_view reference);
// qa_f1_zh: F1 of jieba words, each normalised Chinese-style, empty ones dropped.
double qa_f1_zh(std::string_view prediction, std::string_view reference);

}  // namespace evomem::metrics
