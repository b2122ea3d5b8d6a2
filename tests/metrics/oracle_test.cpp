// Oracle tests against Debian's Python packages, run with /usr/bin/python3:
//  - code_sim: difflib.SequenceMatcher.ratio and fuzzywuzzy's fuzz.ratio (with both of its
//    backends, difflib and python-Levenshtein) on random string pairs;
//  - qa_f1_zh / rouge_zh: jieba.cut word lists on a corpus of Chinese sentences.

#include <gtest/gtest.h>

#include <fstream>
#include <random>

#include "core/json_file.h"
#include "core/utf8.h"
#include "metrics/code_sim.h"
#include "metrics/jieba_segmenter.h"
#include "metrics/utf8_text.h"
#include "tests/support/test_support.h"

namespace evomem::metrics {
namespace {

const std::string kSourceDir = EVOMEM_SOURCE_DIR;

std::string run_oracle(const std::string& mode, const std::filesystem::path& input,
                       const std::filesystem::path& output) {
  const auto result = test_support::run_command("/usr/bin/python3 " + kSourceDir + "/tests/metrics/oracle.py " + mode +
                                                " " + input.string() + " " + output.string());
  if (result.exit_code != 0) {
    return "oracle failed (install python3-fuzzywuzzy and python3-jieba: bash scripts/setup.sh): " + result.output;
  }
  return "";
}

std::vector<core::Json> read_lines(const std::filesystem::path& path) {
  std::vector<core::Json> values;
  std::ifstream stream(path);
  std::string line;
  while (std::getline(stream, line)) values.push_back(core::Json::parse(line));
  return values;
}

// Random strings that look like code lines, with near-duplicates, non-ASCII characters, and
// long strings (200+ characters turn on difflib's "popular element" rule).
std::vector<std::pair<std::string, std::string>> random_pairs(std::size_t count) {
  std::mt19937 generator(20240611);
  const std::vector<std::u32string> alphabets = {U"abcdefghij (){};=+-_.,", U"ab ", U"xyz0123456789",
                                                 U"中文代码测试 abc", U"aaaaab"};
  const auto random_string = [&](const std::u32string& alphabet, std::size_t length) {
    std::u32string text;
    std::uniform_int_distribution<std::size_t> pick(0, alphabet.size() - 1);
    for (std::size_t i = 0; i < length; ++i) text.push_back(alphabet[pick(generator)]);
    return text;
  };
  std::vector<std::pair<std::string, std::string>> pairs;
  for (std::size_t n = 0; n < count; ++n) {
    const auto& alphabet = alphabets[n % alphabets.size()];
    const std::size_t length = n % 7 == 0 ? 150 + generator() % 250 : 1 + generator() % 60;
    std::u32string a = random_string(alphabet, length);
    std::u32string b;
    if (n % 3 == 0) {
      b = random_string(alphabet, n % 7 == 0 ? 150 + generator() % 250 : 1 + generator() % 60);
    } else {
      // A mutated copy: a few edits.
      b = a;
      const std::size_t edits = 1 + generator() % 6;
      for (std::size_t e = 0; e < edits && !b.empty(); ++e) {
        const std::size_t at = generator() % b.size();
        switch (generator() % 3) {
          case 0: b.erase(at, 1); break;
          case 1: b.insert(b.begin() + static_cast<std::ptrdiff_t>(at), alphabet[generator() % alphabet.size()]); break;
          default: b[at] = alphabet[generator() % alphabet.size()]; break;
        }
      }
    }
    pairs.emplace_back(core::code_points_to_utf8(a), core::code_points_to_utf8(b));
  }
  pairs.emplace_back("", "");
  pairs.emplace_back("", "x");
  pairs.emplace_back("same line", "same line");
  return pairs;
}

TEST(Oracle, CodeSimMatchesDifflibAndFuzzywuzzy) {
  test_support::TempDirectory dir("tasks_oracle");
  const auto pairs = random_pairs(600);
  {
    std::ofstream input(dir / "pairs.jsonl");
    for (const auto& [a, b] : pairs) input << core::Json::array({a, b}).dump() << "\n";
  }
  const std::string failure = run_oracle("fuzz", dir / "pairs.jsonl", dir / "expected.jsonl");
  ASSERT_EQ(failure, "");
  const auto expected = read_lines(dir / "expected.jsonl");
  ASSERT_EQ(expected.size(), pairs.size());
  std::size_t differing_backends = 0;
  for (std::size_t i = 0; i < pairs.size(); ++i) {
    const auto& [a, b] = pairs[i];
    const double ratio = difflib_ratio(core::utf8_to_code_points(a), core::utf8_to_code_points(b));
    EXPECT_EQ(ratio, expected[i]["difflib"].get<double>()) << "pair " << i << ": '" << a << "' / '" << b << "'";
    EXPECT_EQ(fuzz_ratio(a, b, SequenceRatio::kDifflib), expected[i]["fuzz_difflib"].get<int>()) << "pair " << i;
    EXPECT_EQ(fuzz_ratio(a, b, SequenceRatio::kLevenshtein), expected[i]["fuzz_levenshtein"].get<int>())
        << "pair " << i;
    differing_backends += expected[i]["fuzz_difflib"] != expected[i]["fuzz_levenshtein"] ? 1 : 0;
  }
  // The two backends really differ on these pairs, so both comparisons above mean something.
  EXPECT_GT(differing_backends, 10u);
}

TEST(Oracle, JiebaWordListsMatch) {
  test_support::TempDirectory dir("tasks_oracle");
  std::vector<std::string> sentences;
  {
    std::ifstream corpus(kSourceDir + "/tests/tasks/data/chinese_corpus.txt");
    std::string line;
    while (std::getline(corpus, line)) sentences.push_back(line);
  }
  ASSERT_GT(sentences.size(), 20u);
  // Plus random concatenations of pieces of the corpus, which create unknown words for the HMM.
  std::mt19937 generator(7);
  const std::size_t corpus_size = sentences.size();
  for (int n = 0; n < 200; ++n) {
    std::u32string mixed;
    for (int piece = 0; piece < 3; ++piece) {
      const std::u32string source = core::utf8_to_code_points(sentences[generator() % corpus_size]);
      const std::size_t start = generator() % source.size();
      mixed += source.substr(start, 1 + generator() % 8);
    }
    sentences.push_back(core::code_points_to_utf8(mixed));
  }
  {
    std::ofstream input(dir / "sentences.txt");
    for (const auto& sentence : sentences) input << sentence << "\n";
  }
  const std::string failure = run_oracle("jieba", dir / "sentences.txt", dir / "expected.jsonl");
  ASSERT_EQ(failure, "");
  const auto expected = read_lines(dir / "expected.jsonl");
  ASSERT_EQ(expected.size(), sentences.size());
  const auto& segmenter = JiebaSegmenter::shared();
  for (std::size_t i = 0; i < sentences.size(); ++i) {
    EXPECT_EQ(segmenter.cut_utf8(sentences[i]), expected[i].get<std::vector<std::string>>()) << sentences[i];
  }
}

TEST(Jieba, KnownSegmentations) {
  const auto& segmenter = JiebaSegmenter::shared();
  EXPECT_EQ(segmenter.cut_utf8("我来到北京清华大学"), (std::vector<std::string>{"我", "来到", "北京", "清华大学"}));
  // 杭研 is not in the dictionary; the HMM joins it.
  EXPECT_EQ(segmenter.cut_utf8("他来到了网易杭研大厦"),
            (std::vector<std::string>{"他", "来到", "了", "网易", "杭研", "大厦"}));
  EXPECT_EQ(segmenter.cut_utf8(""), std::vector<std::string>{});
  EXPECT_GT(segmenter.dictionary_size(), 300000u);
}

}  // namespace
}  // namespace evomem::metrics
