#include "metrics/qa_f1.h"

#include <unordered_map>

#include "core/utf8.h"
#include "metrics/jieba_segmenter.h"
#include "metrics/normalize.h"
#include "metrics/utf8_text.h"

namespace evomem::metrics {

double token_f1(const std::vector<std::u32string>& prediction, const std::vector<std::u32string>& reference) {
  std::unordered_map<std::u32string, long> reference_counts;
  for (const auto& token : reference) ++reference_counts[token];
  long same = 0;
  for (const auto& token : prediction) {
    const auto found = reference_counts.find(token);
    if (found != reference_counts.end() && found->second > 0) {
      --found->second;
      ++same;
    }
  }
  if (same == 0) return 0.0;
  const double precision = 1.0 * static_cast<double>(same) / static_cast<double>(prediction.size());
  const double recall = 1.0 * static_cast<double>(same) / static_cast<double>(reference.size());
  return (2 * precision * recall) / (precision + recall);
}

double qa_f1(std::string_view prediction, std::string_view reference) {
  return token_f1(normalized_words(core::utf8_to_code_points(prediction)),
                  normalized_words(core::utf8_to_code_points(reference)));
}

namespace {
std::vector<std::u32string> chinese_tokens(std::string_view text) {
  std::vector<std::u32string> tokens;
  for (const auto& word : JiebaSegmenter::shared().cut(core::utf8_to_code_points(text))) {
    std::u32string normalized = normalize_zh_answer(word);
    if (!normalized.empty()) tokens.push_back(std::move(normalized));
  }
  return tokens;
}
}  // namespace

double qa_f1_zh(std::string_view prediction, std::string_view reference) {
  return token_f1(chinese_tokens(prediction), chinese_tokens(reference));
}

}  // namespace evomem::metrics
