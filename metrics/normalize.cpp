#include "metrics/normalize.h"

#include <algorithm>

#include "core/utf8.h"
#include "metrics/utf8_text.h"

namespace evomem::metrics {
namespace {

// The CJK punctuation the published normalize_zh_answer removes in addition to ASCII.
const std::u32string& chinese_punctuation() {
  static const std::u32string punctuation = core::utf8_to_code_points(
      "！？｡。＂＃＄％＆＇（）＊＋，－／：；＜＝＞＠［＼］＾＿｀｛｜｝～｟｠｢｣､、〃》「」『』【】〔〕〖〗〘〙〚〛〜〝〞〟〰〾〿–—‘’‛“”„‟…‧﹏.");
  return punctuation;
}

bool is_article(std::u32string_view word) { return word == U"a" || word == U"an" || word == U"the"; }

}  // namespace

bool is_ascii_punctuation(char32_t c) {
  return (c >= 33 && c <= 47) || (c >= 58 && c <= 64) || (c >= 91 && c <= 96) || (c >= 123 && c <= 126);
}

std::vector<std::u32string> normalized_words(std::u32string_view text) {
  std::u32string lowered = python_lower(text);
  std::u32string stripped;
  stripped.reserve(lowered.size());
  for (const char32_t c : lowered) {
    if (!is_ascii_punctuation(c)) stripped.push_back(c);
  }
  // `\b(a|an|the)\b` matches exactly the maximal runs of word characters equal to an article.
  std::u32string without_articles;
  without_articles.reserve(stripped.size());
  std::size_t i = 0;
  while (i < stripped.size()) {
    if (!is_python_word_char(stripped[i])) {
      without_articles.push_back(stripped[i++]);
      continue;
    }
    const std::size_t start = i;
    while (i < stripped.size() && is_python_word_char(stripped[i])) ++i;
    const std::u32string_view word(stripped.data() + start, i - start);
    if (is_article(word)) {
      without_articles.push_back(U' ');
    } else {
      without_articles.append(word);
    }
  }
  return python_split(without_articles);
}

std::string normalize_answer(std::string_view text) {
  const auto words = normalized_words(core::utf8_to_code_points(text));
  std::u32string joined;
  for (std::size_t i = 0; i < words.size(); ++i) {
    if (i > 0) joined.push_back(U' ');
    joined += words[i];
  }
  return core::code_points_to_utf8(joined);
}

std::u32string normalize_zh_answer(std::u32string_view text) {
  const std::u32string lowered = python_lower(text);
  const std::u32string& cjk = chinese_punctuation();
  std::u32string out;
  out.reserve(lowered.size());
  for (const char32_t c : lowered) {
    if (is_ascii_punctuation(c) || is_python_space(c)) continue;
    if (cjk.find(c) != std::u32string::npos) continue;
    out.push_back(c);
  }
  return out;
}

std::string first_line(std::string_view prediction) {
  const std::size_t start = prediction.find_first_not_of('\n');
  if (start == std::string_view::npos) return "";
  const std::string_view rest = prediction.substr(start);
  return std::string(rest.substr(0, rest.find('\n')));
}

}  // namespace evomem::metrics
