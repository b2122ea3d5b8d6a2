#pragma once
// Chinese word segmentation that reproduces jieba's default mode (`jieba.cut(text)`:
// accurate mode with the HMM for unknown words), which LongBench's Chinese metrics use.
// The prefix dictionary and the HMM probability tables are read from jieba's own data files
// (Debian package python3-jieba), so the word lists are identical to jieba's.

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace evomem::metrics {

class JiebaSegmenter {
 public:
  // Reads <dir>/dict.txt and <dir>/finalseg/prob_{start,trans,emit}.py. InputError / FormatError
  // naming the file on a missing or malformed file.
  explicit JiebaSegmenter(const std::filesystem::path& jieba_dir);

  // The folder of the installed jieba package: $EVOMEM_JIEBA_DIR if set, otherwise Debian's
  // /usr/lib/python3/dist-packages/jieba. InputError (with the install hint) if absent.
  static std::filesystem::path default_directory();
  // A process-wide segmenter over default_directory(), loaded on first use (thread-safe).
  static const JiebaSegmenter& shared();

  // jieba.cut(text, cut_all=False, HMM=True): the words in order; their concatenation is
  // `text`.
  std::vector<std::u32string> cut(std::u32string_view text) const;
  std::vector<std::string> cut_utf8(std::string_view text) const;

  std::size_t dictionary_size() const { return word_count_; }

 private:
  void cut_dag(std::u32string_view block, std::vector<std::u32string>& words) const;
  void cut_unknown(std::u32string_view run, std::vector<std::u32string>& words) const;
  void cut_hmm(std::u32string_view han, std::vector<std::u32string>& words) const;
  // Frequency of a dictionary entry: >0 for words, 0 for prefixes of words, -1 if absent.
  std::int64_t frequency(std::u32string_view fragment) const;

  std::u32string storage_;  // the decoded dictionary; the map's keys point into it
  std::unordered_map<std::u32string_view, std::int64_t> frequencies_;
  std::size_t word_count_ = 0;
  double log_total_ = 0.0;

  // HMM (states B, M, E, S in this order).
  double start_[4] = {};
  double transition_[4][4] = {};
  std::unordered_map<char32_t, double> emission_[4];
};

}  // namespace evomem::metrics
