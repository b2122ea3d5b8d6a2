#include "metrics/rouge.h"

#include <algorithm>
#include <map>
#include <set>
#include <unordered_set>

#include "core/utf8.h"
#include "metrics/jieba_segmenter.h"
#include "metrics/utf8_text.h"

namespace evomem::metrics {
namespace {

using Words = std::vector<std::u32string>;

// `[" ".join(s.split()) for s in text.split(".") if len(s) > 0]`, each then split on " ".
std::vector<Words> rouge_sentences(std::u32string_view text) {
  std::vector<Words> sentences;
  std::size_t start = 0;
  while (start <= text.size()) {
    std::size_t end = text.find(U'.', start);
    if (end == std::u32string_view::npos) end = text.size();
    const std::u32string_view piece = text.substr(start, end - start);
    if (!piece.empty()) {
      Words words = python_split(piece);
      // "".split(" ") is [""]: a white-space-only sentence is one empty word.
      if (words.empty()) words.emplace_back();
      sentences.push_back(std::move(words));
    }
    start = end + 1;
  }
  return sentences;
}

// The words of the LCS of x (reference) and y (candidate) along the package's backtracking
// path; false when that path is deeper than `budget` recursive calls.
bool reconstruct_lcs(const Words& x, const Words& y, int budget, std::vector<const std::u32string*>& out) {
  const std::size_t n = x.size();
  const std::size_t m = y.size();
  std::vector<std::vector<int>> table(n + 1, std::vector<int>(m + 1, 0));
  for (std::size_t i = 1; i <= n; ++i) {
    for (std::size_t j = 1; j <= m; ++j) {
      table[i][j] = x[i - 1] == y[j - 1] ? table[i - 1][j - 1] + 1 : std::max(table[i - 1][j], table[i][j - 1]);
    }
  }
  std::size_t i = n;
  std::size_t j = m;
  long calls = 1;
  while (i > 0 && j > 0) {
    ++calls;
    if (x[i - 1] == y[j - 1]) {
      out.push_back(&x[i - 1]);
      --i;
      --j;
    } else if (table[i - 1][j] > table[i][j - 1]) {
      --i;
    } else {
      --j;
    }
  }
  return budget <= 0 || calls <= budget;
}

double rouge_l_code_points(std::u32string_view prediction, std::u32string_view reference, const RougeOptions& options) {
  const auto hypothesis = rouge_sentences(prediction);
  const auto references = rouge_sentences(reference);
  if (hypothesis.empty() || references.empty()) return 0.0;  // the package raises ValueError
  std::unordered_set<std::u32string> reference_words;
  for (const auto& sentence : references) reference_words.insert(sentence.begin(), sentence.end());
  std::unordered_set<std::u32string> hypothesis_words;
  for (const auto& sentence : hypothesis) hypothesis_words.insert(sentence.begin(), sentence.end());
  std::unordered_set<std::u32string> lcs_union;
  std::vector<const std::u32string*> lcs;
  for (const auto& reference_sentence : references) {
    for (const auto& hypothesis_sentence : hypothesis) {
      lcs.clear();
      if (!reconstruct_lcs(reference_sentence, hypothesis_sentence, options.recursion_budget, lcs)) return 0.0;
      for (const auto* word : lcs) lcs_union.insert(*word);
    }
  }
  const double llcs = static_cast<double>(lcs_union.size());
  const double r_lcs = llcs / static_cast<double>(reference_words.size());
  const double p_lcs = llcs / static_cast<double>(hypothesis_words.size());
  return 2.0 * ((p_lcs * r_lcs) / (p_lcs + r_lcs + 1e-8));
}

std::u32string jieba_joined(std::string_view text) {
  std::u32string joined;
  bool first = true;
  for (const auto& word : JiebaSegmenter::shared().cut(core::utf8_to_code_points(text))) {
    if (!first) joined.push_back(U' ');
    joined += word;
    first = false;
  }
  return joined;
}

// rouge_score's default tokenizer: lower-case, non [a-z0-9] runs become spaces, split.
std::vector<std::u32string> lsum_tokens(std::u32string_view sentence) {
  const std::u32string lowered = python_lower(sentence);
  std::vector<std::u32string> tokens;
  std::u32string current;
  for (const char32_t c : lowered) {
    if ((c >= U'a' && c <= U'z') || (c >= U'0' && c <= U'9')) {
      current.push_back(c);
    } else if (!current.empty()) {
      tokens.push_back(std::move(current));
      current.clear();
    }
  }
  if (!current.empty()) tokens.push_back(std::move(current));
  return tokens;
}

std::vector<std::vector<std::u32string>> lsum_sentences(std::string_view text) {
  const std::u32string points = core::utf8_to_code_points(text);
  std::vector<std::vector<std::u32string>> sentences;
  std::size_t start = 0;
  while (start <= points.size()) {
    std::size_t end = points.find(U'\n', start);
    if (end == std::u32string::npos) end = points.size();
    if (end > start) sentences.push_back(lsum_tokens(std::u32string_view(points).substr(start, end - start)));
    start = end + 1;
  }
  return sentences;
}

// Indices into `reference` of its LCS with `candidate` (rouge_score's iterative backtrack).
void lcs_indices(const std::vector<std::u32string>& reference, const std::vector<std::u32string>& candidate,
                 std::set<std::size_t>& out) {
  const std::size_t n = reference.size();
  const std::size_t m = candidate.size();
  std::vector<std::vector<int>> table(n + 1, std::vector<int>(m + 1, 0));
  for (std::size_t i = 1; i <= n; ++i) {
    for (std::size_t j = 1; j <= m; ++j) {
      table[i][j] = reference[i - 1] == candidate[j - 1] ? table[i - 1][j - 1] + 1
                                                         : std::max(table[i - 1][j], table[i][j - 1]);
    }
  }
  std::size_t i = n;
  std::size_t j = m;
  while (i > 0 && j > 0) {
    if (reference[i - 1] == candidate[j - 1]) {
      out.insert(i - 1);
      --i;
      --j;
    } else if (table[i][j - 1] > table[i - 1][j]) {
      --j;
    } else {
      --i;
    }
  }
}

}  // namespace

double rouge_l(std::string_view prediction, std::string_view reference, const RougeOptions& options) {
  return rouge_l_code_points(core::utf8_to_code_points(prediction), core::utf8_to_code_points(reference), options);
}

double rouge_zh(std::string_view prediction, std::string_view reference, const RougeOptions& options) {
  return rouge_l_code_points(jieba_joined(prediction), jieba_joined(reference), options);
}

double rouge_lsum(std::string_view prediction, std::string_view reference) {
  const auto candidate = lsum_sentences(prediction);
  const auto target = lsum_sentences(reference);
  if (candidate.empty() || target.empty()) return 0.0;
  std::size_t m = 0;
  std::size_t n = 0;
  std::map<std::u32string, long> reference_counts;
  std::map<std::u32string, long> candidate_counts;
  for (const auto& sentence : target) {
    m += sentence.size();
    for (const auto& token : sentence) ++reference_counts[token];
  }
  for (const auto& sentence : candidate) {
    n += sentence.size();
    for (const auto& token : sentence) ++candidate_counts[token];
  }
  if (m == 0 || n == 0) return 0.0;
  long hits = 0;
  for (const auto& reference_sentence : target) {
    std::set<std::size_t> union_indices;
    for (const auto& candidate_sentence : candidate) lcs_indices(reference_sentence, candidate_sentence, union_indices);
    for (const std::size_t index : union_indices) {
      const auto& token = reference_sentence[index];
      long& in_candidate = candidate_counts[token];
      long& in_reference = reference_counts[token];
      if (in_candidate > 0 && in_reference > 0) {
        ++hits;
        --in_candidate;
        --in_reference;
      }
    }
  }
  const double recall = static_cast<double>(hits) / static_cast<double>(m);
  const double precision = static_cast<double>(hits) / static_cast<double>(n);
  if (precision + recall == 0.0) return 0.0;
  return 2 * precision * recall / (precision + recall);
}

}  // namespace evomem::metrics
