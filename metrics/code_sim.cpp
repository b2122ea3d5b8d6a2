#include "metrics/code_sim.h"

#include <cmath>
#include <unordered_map>
#include <vector>

#include "core/utf8.h"
#include "metrics/utf8_text.h"

namespace evomem::metrics {
namespace {

// difflib.SequenceMatcher with isjunk=None: b2j maps each element of b to its positions;
// with autojunk, elements of a b of 200+ items that occur more than len/100 + 1 times are
// "popular" and cannot start a match (they can still extend one).
class DifflibMatcher {
 public:
  DifflibMatcher(std::u32string_view a, std::u32string_view b)
      : a_(a), b_(b), length_(b.size() + 1, 0), next_(b.size() + 1, 0) {
    for (std::size_t j = 0; j < b.size(); ++j) positions_[b[j]].push_back(j);
    if (b.size() >= 200) {
      const std::size_t threshold = b.size() / 100 + 1;
      for (auto it = positions_.begin(); it != positions_.end();) {
        it = it->second.size() > threshold ? positions_.erase(it) : std::next(it);
      }
    }
  }

  std::size_t matched_characters() {
    std::size_t total = 0;
    struct Range {
      std::size_t alo, ahi, blo, bhi;
    };
    std::vector<Range> queue{{0, a_.size(), 0, b_.size()}};
    while (!queue.empty()) {
      const Range range = queue.back();
      queue.pop_back();
      std::size_t i = 0, j = 0, k = 0;
      longest_match(range.alo, range.ahi, range.blo, range.bhi, i, j, k);
      if (k == 0) continue;
      total += k;
      if (range.alo < i && range.blo < j) queue.push_back({range.alo, i, range.blo, j});
      if (i + k < range.ahi && j + k < range.bhi) queue.push_back({i + k, range.ahi, j + k, range.bhi});
    }
    return total;
  }

 private:
  void longest_match(std::size_t alo, std::size_t ahi, std::size_t blo, std::size_t bhi, std::size_t& best_i,
                     std::size_t& best_j, std::size_t& best_size) {
    best_i = alo;
    best_j = blo;
    best_size = 0;
    // length_[j + 1] = length of the match ending at (i - 1, j); only touched entries are reset.
    std::vector<std::size_t> touched;
    std::vector<std::size_t> touched_next;
    for (std::size_t i = alo; i < ahi; ++i) {
      touched_next.clear();
      const auto found = positions_.find(a_[i]);
      if (found != positions_.end()) {
        for (const std::size_t j : found->second) {
          if (j < blo) continue;
          if (j >= bhi) break;
          const std::size_t k = length_[j] + 1;  // length_[j] is the match ending at j - 1
          next_[j + 1] = k;
          touched_next.push_back(j + 1);
          if (k > best_size) {
            best_i = i + 1 - k;
            best_j = j + 1 - k;
            best_size = k;
          }
        }
      }
      for (const std::size_t index : touched) length_[index] = 0;
      for (const std::size_t index : touched_next) {
        length_[index] = next_[index];
        next_[index] = 0;
      }
      touched.swap(touched_next);
    }
    for (const std::size_t index : touched) length_[index] = 0;
    while (best_i > alo && best_j > blo && a_[best_i - 1] == b_[best_j - 1]) {
      --best_i;
      --best_j;
      ++best_size;
    }
    while (best_i + best_size < ahi && best_j + best_size < bhi && a_[best_i + best_size] == b_[best_j + best_size]) {
      ++best_size;
    }
  }

  std::u32string_view a_;
  std::u32string_view b_;
  std::unordered_map<char32_t, std::vector<std::size_t>> positions_;
  std::vector<std::size_t> length_;
  std::vector<std::size_t> next_;
};

}  // namespace

double difflib_ratio(std::u32string_view a, std::u32string_view b) {
  const std::size_t total = a.size() + b.size();
  if (total == 0) return 1.0;
  DifflibMatcher matcher(a, b);
  return 2.0 * static_cast<double>(matcher.matched_characters()) / static_cast<double>(total);
}

double levenshtein_ratio(std::u32string_view a, std::u32string_view b) {
  const std::size_t total = a.size() + b.size();
  if (total == 0) return 1.0;
  // Indel distance = |a| + |b| - 2 LCS; one row of the LCS table at a time.
  std::vector<std::size_t> previous(b.size() + 1, 0), current(b.size() + 1, 0);
  for (std::size_t i = 1; i <= a.size(); ++i) {
    for (std::size_t j = 1; j <= b.size(); ++j) {
      current[j] = a[i - 1] == b[j - 1] ? previous[j - 1] + 1 : std::max(previous[j], current[j - 1]);
    }
    std::swap(previous, current);
  }
  const std::size_t distance = total - 2 * previous[b.size()];
  return static_cast<double>(total - distance) / static_cast<double>(total);
}

int fuzz_ratio(std::string_view a, std::string_view b, SequenceRatio backend) {
  if (a == b) return 100;
  if (a.empty() || b.empty()) return 0;
  const std::u32string left = core::utf8_to_code_points(a);
  const std::u32string right = core::utf8_to_code_points(b);
  const double ratio = backend == SequenceRatio::kDifflib ? difflib_ratio(left, right) : levenshtein_ratio(left, right);
  // Python's round() rounds halves to even, as nearbyint does in the default rounding mode.
  return static_cast<int>(std::nearbyint(100 * ratio));
}

std::string code_sim_line(std::string_view prediction) {
  const std::size_t start = prediction.find_first_not_of('\n');
  if (start == std::string_view::npos) return "";
  std::string_view rest = prediction.substr(start);
  while (true) {
    const std::size_t end = rest.find('\n');
    const std::string_view line = rest.substr(0, end);
    if (line.find('`') == std::string_view::npos && line.find('#') == std::string_view::npos &&
        line.find("//") == std::string_view::npos) {
      return std::string(line);
    }
    if (end == std::string_view::npos) return "";
    rest = rest.substr(end + 1);
  }
}

double code_sim(std::string_view prediction, std::string_view reference, SequenceRatio backend) {
  return fuzz_ratio(code_sim_line(prediction), reference, backend) / 100.0;
}

}  // namespace evomem::metrics
