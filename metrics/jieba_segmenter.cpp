#include "metrics/jieba_segmenter.h"

#include <array>
#include <cmath>
#include <cstdlib>
#include <mutex>

#include "core/error.h"
#include "core/files.h"
#include "core/utf8.h"
#include "metrics/utf8_text.h"

namespace evomem::metrics {
namespace {

// jieba's floor for unseen emissions / transitions.
constexpr double kMinLogProbability = -3.14e100;
constexpr char kStates[4] = {'B', 'M', 'E', 'S'};
constexpr int kB = 0, kM = 1, kE = 2, kS = 3;
// Predecessors allowed for each state, in jieba's order (B: E,S  M: M,B  E: B,M  S: S,E).
constexpr int kPrevious[4][2] = {{kE, kS}, {kM, kB}, {kB, kM}, {kS, kE}};

int state_index(char c) {
  for (int i = 0; i < 4; ++i) {
    if (kStates[i] == c) return i;
  }
  return -1;
}

// Characters jieba's default mode hands to the dictionary: CJK U+4E00..U+9FD5, ASCII letters
// and digits, and + # & . _ % -.
bool is_dictionary_char(char32_t c) {
  if (c >= 0x4E00 && c <= 0x9FD5) return true;
  if (c < 128) {
    if ((c >= '0' && c <= '9') || ((c | 32) >= 'a' && (c | 32) <= 'z')) return true;
    switch (c) {
      case '+':
      case '#':
      case '&':
      case '.':
      case '_':
      case '%':
      case '-': return true;
      default: return false;
    }
  }
  return false;
}

bool is_han(char32_t c) { return c >= 0x4E00 && c <= 0x9FD5; }
bool is_ascii_alnum(char32_t c) { return (c >= '0' && c <= '9') || ((c | 32) >= 'a' && (c | 32) <= 'z'); }

// A minimal reader for the Python literals of jieba's finalseg/prob_*.py files:
// P={'B': -0.26, ...} or P={'B': {'\u4e00': -3.65, ...}, ...}.
class PythonLiteralReader {
 public:
  PythonLiteralReader(std::string text, std::string where) : text_(std::move(text)), where_(std::move(where)) {
    const auto start = text_.find("P=");
    if (start == std::string::npos) fail("no 'P=' assignment");
    position_ = start + 2;
  }

  void expect(char c) {
    skip_space();
    if (position_ >= text_.size() || text_[position_] != c) fail(std::string("expected '") + c + "'");
    ++position_;
  }
  bool try_consume(char c) {
    skip_space();
    if (position_ < text_.size() && text_[position_] == c) {
      ++position_;
      return true;
    }
    return false;
  }
  char peek() {
    skip_space();
    return position_ < text_.size() ? text_[position_] : '\0';
  }
  std::u32string string_literal() {
    skip_space();
    if (position_ >= text_.size() || (text_[position_] != '\'' && text_[position_] != '"')) fail("expected a string");
    const char quote = text_[position_++];
    std::string raw;
    while (position_ < text_.size() && text_[position_] != quote) {
      if (text_[position_] == '\\' && position_ + 1 < text_.size()) {
        const char escape = text_[position_ + 1];
        if (escape == 'u' || escape == 'U') {
          const std::size_t digits = escape == 'u' ? 4 : 8;
          const std::string hex = text_.substr(position_ + 2, digits);
          const char32_t value = static_cast<char32_t>(std::strtoul(hex.c_str(), nullptr, 16));
          raw += core::code_points_to_utf8(std::u32string(1, value));
          position_ += 2 + digits;
          continue;
        }
        raw.push_back(escape == 'n' ? '\n' : escape == 't' ? '\t' : escape);
        position_ += 2;
        continue;
      }
      raw.push_back(text_[position_++]);
    }
    if (position_ >= text_.size()) fail("unterminated string");
    ++position_;
    return core::utf8_to_code_points(raw);
  }
  double number() {
    skip_space();
    const char* begin = text_.c_str() + position_;
    char* end = nullptr;
    const double value = std::strtod(begin, &end);
    if (end == begin) fail("expected a number");
    position_ += static_cast<std::size_t>(end - begin);
    return value;
  }
  [[noreturn]] void fail(const std::string& what) const {
    throw FormatError(where_ + ": cannot read jieba's probability table (" + what + " at byte " +
                      std::to_string(position_) + ")");
  }

 private:
  void skip_space() {
    while (position_ < text_.size() && (text_[position_] == ' ' || text_[position_] == '\n' ||
                                        text_[position_] == '\r' || text_[position_] == '\t')) {
      ++position_;
    }
  }
  std::string text_;
  std::string where_;
  std::size_t position_ = 0;
};

int read_state(PythonLiteralReader& reader) {
  const std::u32string key = reader.string_literal();
  const int state = key.size() == 1 ? state_index(static_cast<char>(key[0])) : -1;
  if (state < 0) reader.fail("unknown HMM state");
  return state;
}

}  // namespace

std::filesystem::path JiebaSegmenter::default_directory() {
  std::filesystem::path directory = "/usr/lib/python3/dist-packages/jieba";
  if (const char* override_dir = std::getenv("EVOMEM_JIEBA_DIR"); override_dir != nullptr && *override_dir != '\0') {
    directory = override_dir;
  }
  if (!std::filesystem::exists(directory / "dict.txt")) {
    throw InputError("jieba's dictionary " + (directory / "dict.txt").string() +
                     " is missing; the Chinese metrics need it: install the Debian package python3-jieba "
                     "(bash scripts/setup.sh) or set EVOMEM_JIEBA_DIR to a jieba package folder");
  }
  return directory;
}

const JiebaSegmenter& JiebaSegmenter::shared() {
  static const JiebaSegmenter segmenter(default_directory());
  return segmenter;
}

JiebaSegmenter::JiebaSegmenter(const std::filesystem::path& jieba_dir) {
  const std::filesystem::path dictionary_path = jieba_dir / "dict.txt";
  const std::string dictionary = core::read_text_file(dictionary_path);
  if (const auto bad = core::find_invalid_utf8(dictionary)) {
    throw FormatError(dictionary_path.string() + ": invalid UTF-8 at byte " + std::to_string(*bad));
  }
  storage_ = core::utf8_to_code_points(dictionary);
  frequencies_.reserve(storage_.size() / 4);
  std::int64_t total = 0;
  std::size_t line_start = 0;
  std::size_t line_number = 0;
  while (line_start < storage_.size()) {
    std::size_t line_end = storage_.find(U'\n', line_start);
    if (line_end == std::u32string::npos) line_end = storage_.size();
    ++line_number;
    // Python's str.strip() then split(' '): word and frequency are the first two fields.
    std::size_t begin = line_start;
    std::size_t end = line_end;
    while (begin < end && is_python_space(storage_[begin])) ++begin;
    while (end > begin && is_python_space(storage_[end - 1])) --end;
    line_start = line_end + 1;
    if (begin == end) continue;
    const std::size_t word_end = storage_.find(U' ', begin);
    if (word_end == std::u32string::npos || word_end >= end) {
      throw FormatError(dictionary_path.string() + ":" + std::to_string(line_number) +
                        ": expected 'word frequency [tag]'");
    }
    std::size_t frequency_end = storage_.find(U' ', word_end + 1);
    if (frequency_end == std::u32string::npos || frequency_end > end) frequency_end = end;
    std::int64_t frequency = 0;
    bool digits = frequency_end > word_end + 1;
    for (std::size_t i = word_end + 1; i < frequency_end; ++i) {
      if (storage_[i] < '0' || storage_[i] > '9') {
        digits = false;
        break;
      }
      frequency = frequency * 10 + static_cast<std::int64_t>(storage_[i] - '0');
    }
    if (!digits) {
      throw FormatError(dictionary_path.string() + ":" + std::to_string(line_number) + ": frequency is not an integer");
    }
    const std::u32string_view word(storage_.data() + begin, word_end - begin);
    frequencies_[word] = frequency;
    total += frequency;
    for (std::size_t length = 1; length < word.size(); ++length) frequencies_.emplace(word.substr(0, length), 0);
    ++word_count_;
  }
  if (total <= 0) throw FormatError(dictionary_path.string() + ": the dictionary has no words");
  log_total_ = std::log(static_cast<double>(total));

  const std::filesystem::path finalseg = jieba_dir / "finalseg";
  {
    const auto path = finalseg / "prob_start.py";
    PythonLiteralReader reader(core::read_text_file(path), path.string());
    reader.expect('{');
    while (reader.peek() != '}') {
      const int state = read_state(reader);
      reader.expect(':');
      start_[state] = reader.number();
      if (!reader.try_consume(',')) break;
    }
    reader.expect('}');
  }
  for (auto& row : transition_) {
    for (double& value : row) value = kMinLogProbability;
  }
  {
    const auto path = finalseg / "prob_trans.py";
    PythonLiteralReader reader(core::read_text_file(path), path.string());
    reader.expect('{');
    while (reader.peek() != '}') {
      const int from = read_state(reader);
      reader.expect(':');
      reader.expect('{');
      while (reader.peek() != '}') {
        const int to = read_state(reader);
        reader.expect(':');
        transition_[from][to] = reader.number();
        if (!reader.try_consume(',')) break;
      }
      reader.expect('}');
      if (!reader.try_consume(',')) break;
    }
    reader.expect('}');
  }
  {
    const auto path = finalseg / "prob_emit.py";
    PythonLiteralReader reader(core::read_text_file(path), path.string());
    reader.expect('{');
    while (reader.peek() != '}') {
      const int state = read_state(reader);
      reader.expect(':');
      reader.expect('{');
      while (reader.peek() != '}') {
        const std::u32string character = reader.string_literal();
        if (character.size() != 1) reader.fail("emission key is not one character");
        reader.expect(':');
        emission_[state][character[0]] = reader.number();
        if (!reader.try_consume(',')) break;
      }
      reader.expect('}');
      if (!reader.try_consume(',')) break;
    }
    reader.expect('}');
  }
}

std::int64_t JiebaSegmenter::frequency(std::u32string_view fragment) const {
  const auto found = frequencies_.find(fragment);
  return found == frequencies_.end() ? -1 : found->second;
}

std::vector<std::u32string> JiebaSegmenter::cut(std::u32string_view text) const {
  std::vector<std::u32string> words;
  std::size_t i = 0;
  while (i < text.size()) {
    const std::size_t start = i;
    if (is_dictionary_char(text[i])) {
      while (i < text.size() && is_dictionary_char(text[i])) ++i;
      cut_dag(text.substr(start, i - start), words);
      continue;
    }
    // Outside the dictionary's alphabet every character is a word of its own; "\r\n" stays
    // together.
    while (i < text.size() && !is_dictionary_char(text[i])) {
      if (text[i] == U'\r' && i + 1 < text.size() && text[i + 1] == U'\n') {
        words.emplace_back(U"\r\n");
        i += 2;
      } else {
        words.emplace_back(1, text[i]);
        ++i;
      }
    }
  }
  return words;
}

std::vector<std::string> JiebaSegmenter::cut_utf8(std::string_view text) const {
  std::vector<std::string> out;
  for (const auto& word : cut(core::utf8_to_code_points(text))) out.push_back(core::code_points_to_utf8(word));
  return out;
}

void JiebaSegmenter::cut_dag(std::u32string_view block, std::vector<std::u32string>& words) const {
  const std::size_t n = block.size();
  // DAG: for each start k, the ends i (inclusive) such that block[k..i] is a word.
  std::vector<std::vector<std::size_t>> dag(n);
  for (std::size_t k = 0; k < n; ++k) {
    std::size_t i = k;
    while (i < n) {
      const std::int64_t found = frequency(block.substr(k, i - k + 1));
      if (found < 0) break;
      if (found > 0) dag[k].push_back(i);
      ++i;
    }
    if (dag[k].empty()) dag[k].push_back(k);
  }
  // Best route from the right; ties go to the longer word, as Python's max over (score, end).
  std::vector<double> best_score(n + 1, 0.0);
  std::vector<std::size_t> best_end(n + 1, 0);
  for (std::size_t index = n; index-- > 0;) {
    bool first = true;
    for (const std::size_t end : dag[index]) {
      const std::int64_t found = frequency(block.substr(index, end - index + 1));
      const double log_frequency = std::log(static_cast<double>(found > 0 ? found : 1));
      const double score = log_frequency - log_total_ + best_score[end + 1];
      if (first || score > best_score[index] || (score == best_score[index] && end > best_end[index])) {
        best_score[index] = score;
        best_end[index] = end;
        first = false;
      }
    }
  }
  std::size_t x = 0;
  std::size_t buffer_start = 0;
  std::size_t buffer_length = 0;
  const auto flush = [&] {
    if (buffer_length == 0) return;
    const std::u32string_view buffer = block.substr(buffer_start, buffer_length);
    if (buffer_length == 1) {
      words.emplace_back(buffer);
    } else if (frequency(buffer) <= 0) {
      cut_unknown(buffer, words);
    } else {
      for (const char32_t c : buffer) words.emplace_back(1, c);
    }
    buffer_length = 0;
  };
  while (x < n) {
    const std::size_t y = best_end[x] + 1;
    if (y - x == 1) {
      if (buffer_length == 0) buffer_start = x;
      ++buffer_length;
    } else {
      flush();
      words.emplace_back(block.substr(x, y - x));
    }
    x = y;
  }
  flush();
}

void JiebaSegmenter::cut_unknown(std::u32string_view run, std::vector<std::u32string>& words) const {
  // finalseg.cut: Han runs go through the HMM; the rest splits into [a-zA-Z0-9]+(\.\d+)?%?
  // tokens and the text between them.
  std::size_t i = 0;
  while (i < run.size()) {
    const std::size_t start = i;
    if (is_han(run[i])) {
      while (i < run.size() && is_han(run[i])) ++i;
      cut_hmm(run.substr(start, i - start), words);
      continue;
    }
    std::size_t other_start = i;
    while (i < run.size() && !is_han(run[i])) {
      if (!is_ascii_alnum(run[i])) {
        ++i;
        continue;
      }
      if (i > other_start) words.emplace_back(run.substr(other_start, i - other_start));
      const std::size_t token_start = i;
      while (i < run.size() && is_ascii_alnum(run[i])) ++i;
      if (i + 1 < run.size() && run[i] == U'.' && is_unicode_decimal(run[i + 1])) {
        i += 1;
        while (i < run.size() && is_unicode_decimal(run[i])) ++i;
      }
      if (i < run.size() && run[i] == U'%') ++i;
      words.emplace_back(run.substr(token_start, i - token_start));
      other_start = i;
    }
    if (i > other_start) words.emplace_back(run.substr(other_start, i - other_start));
  }
}

void JiebaSegmenter::cut_hmm(std::u32string_view han, std::vector<std::u32string>& words) const {
  const std::size_t n = han.size();
  const auto emit = [&](int state, char32_t c) {
    const auto found = emission_[state].find(c);
    return found == emission_[state].end() ? kMinLogProbability : found->second;
  };
  std::vector<std::array<double, 4>> score(n);
  std::vector<std::array<int, 4>> back(n);
  for (int y = 0; y < 4; ++y) {
    score[0][y] = start_[y] + emit(y, han[0]);
    back[0][y] = -1;
  }
  for (std::size_t t = 1; t < n; ++t) {
    for (int y = 0; y < 4; ++y) {
      const double emission = emit(y, han[t]);
      int best_state = -1;
      double best = 0.0;
      for (const int previous : kPrevious[y]) {
        const double candidate = score[t - 1][previous] + transition_[previous][y] + emission;
        // Python's max over (probability, state letter): ties go to the later letter.
        if (best_state < 0 || candidate > best || (candidate == best && kStates[previous] > kStates[best_state])) {
          best = candidate;
          best_state = previous;
        }
      }
      score[t][y] = best;
      back[t][y] = best_state;
    }
  }
  int state = kE;
  if (score[n - 1][kS] > score[n - 1][kE] || score[n - 1][kS] == score[n - 1][kE]) state = kS;
  std::vector<int> path(n);
  for (std::size_t t = n; t-- > 0;) {
    path[t] = state;
    state = back[t][state];
  }
  std::size_t begin = 0;
  std::size_t next = 0;
  for (std::size_t i = 0; i < n; ++i) {
    if (path[i] == kB) {
      begin = i;
    } else if (path[i] == kE) {
      words.emplace_back(han.substr(begin, i - begin + 1));
      next = i + 1;
    } else if (path[i] == kS) {
      words.emplace_back(1, han[i]);
      next = i + 1;
    }
  }
  if (next < n) words.emplace_back(han.substr(next));
}

}  // namespace evomem::metrics
