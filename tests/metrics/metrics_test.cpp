// Hand-worked cases for every metric, including the corner cases of the published scripts.

#include <gtest/gtest.h>

#include "core/error.h"
#include "metrics/classification.h"
#include "metrics/code_sim.h"
#include "metrics/infinitebench_scorers.h"
#include "metrics/metric.h"
#include "metrics/normalize.h"
#include "metrics/number_match.h"
#include "metrics/qa_f1.h"
#include "metrics/rouge.h"

namespace evomem::metrics {
namespace {

std::vector<metrics::Answer> strings(std::initializer_list<const char*> texts) {
  std::vector<metrics::Answer> answers;
  for (const char* text : texts) answers.push_back({metrics::Answer::Kind::kString, text});
  return answers;
}

TEST(Normalize, DropsPunctuationArticlesAndExtraSpace) {
  EXPECT_EQ(normalize_answer("Anna, the  AN-a!"), "anna ana");
  EXPECT_EQ(normalize_answer("The Theater of an Apple"), "theater of apple");
  EXPECT_EQ(normalize_answer("  a\tan\nthe  "), "");
  // Only ASCII punctuation goes; the article rule needs whole words.
  EXPECT_EQ(normalize_answer("Café «the» théâtre"), "café « » théâtre");
}

TEST(Normalize, FirstLineSkipsLeadingNewlines) {
  EXPECT_EQ(first_line("\n\nParis\nLondon"), "Paris");
  EXPECT_EQ(first_line("only"), "only");
  EXPECT_EQ(first_line("\n\n"), "");
  EXPECT_EQ(first_line(" \nx"), " ");
}

TEST(QaF1, TokenMultisetF1) {
  EXPECT_DOUBLE_EQ(qa_f1("The cat sat on the mat.", "a cat sat on a mat"), 1.0);
  EXPECT_NEAR(qa_f1("Paris, France", "Paris"), 2.0 / 3.0, 1e-12);
  // x x y vs x y y share one x and one y: precision = recall = 2/3.
  EXPECT_NEAR(qa_f1("x x y", "x y y"), 2.0 / 3.0, 1e-12);
  EXPECT_EQ(qa_f1("", "Paris"), 0.0);
  EXPECT_EQ(qa_f1("Paris", ""), 0.0);
  EXPECT_EQ(qa_f1("the", "a"), 0.0);
}

TEST(QaF1, MaxOverReferencesAndFirstLineRule) {
  EXPECT_DOUBLE_EQ(score_prediction(Metric::kQaF1, "blue whale", string_references({"whale", "blue whale"})), 1.0);
  EXPECT_NEAR(score_prediction(Metric::kQaF1, "blue whale", string_references({"whale", "shark"})), 2.0 / 3.0, 1e-12);
  EXPECT_DOUBLE_EQ(
      score_prediction(Metric::kQaF1, "\n\nParis\nLondon is the capital", string_references({"Paris"}), true), 1.0);
  // Without the rule the whole text counts: [paris london is capital] vs [paris].
  EXPECT_NEAR(score_prediction(Metric::kQaF1, "\n\nParis\nLondon is the capital", string_references({"Paris"}), false),
              0.4, 1e-12);
  EXPECT_EQ(score_prediction(Metric::kQaF1, "", string_references({"Paris", "France"})), 0.0);
}

TEST(QaF1Zh, SegmentsWithJiebaAndDropsPunctuation) {
  // 我来到北京清华大学 -> 我 / 来到 / 北京 / 清华大学; the reference 北京清华大学 -> 北京 / 清华大学.
  EXPECT_NEAR(qa_f1_zh("我来到北京清华大学。", "北京清华大学"), 2 * 0.5 * 1.0 / 1.5, 1e-12);
  EXPECT_DOUBLE_EQ(qa_f1_zh("“清华大学”！", "清华大学"), 1.0);
  EXPECT_EQ(qa_f1_zh("", "清华大学"), 0.0);
}

TEST(Classification, OverlappingClassNames) {
  // "entity" is a strict substring of the reference "other entity" and is dropped.
  EXPECT_DOUBLE_EQ(classification("other entity", "other entity", {"entity", "other entity", "location"}), 1.0);
  // Two classes named: the credit is shared.
  EXPECT_DOUBLE_EQ(classification("location or entity", "location", {"entity", "location"}), 0.5);
  EXPECT_EQ(classification("entity", "location", {"entity", "location"}), 0.0);
  EXPECT_EQ(classification("", "location", {"entity", "location"}), 0.0);
}

TEST(Classification, RemovalWhileIteratingSkipsTheNextName) {
  // The published loop removes "a" and then never looks at "ab" (it slid into the visited
  // slot), so "ab" stays and the score is 1/2, not 1.
  EXPECT_DOUBLE_EQ(classification("abc", "abc", {"a", "ab", "abc"}), 0.5);
}

TEST(NumberMatch, RetrievalAndCount) {
  EXPECT_DOUBLE_EQ(retrieval_score("Paragraph 12", "Paragraph 12"), 1.0);
  EXPECT_DOUBLE_EQ(retrieval_score("Paragraph 12 and Paragraph 3", "Paragraph 12"), 0.5);
  // Numbers inside words count as numbers.
  EXPECT_DOUBLE_EQ(retrieval_score("abc12def 12", "Paragraph 12"), 1.0);
  EXPECT_EQ(retrieval_score("P120", "Paragraph 12"), 0.0);
  EXPECT_EQ(retrieval_score("no number", "Paragraph 12"), 0.0);
  EXPECT_DOUBLE_EQ(retrieval_zh_score("答案是段落5", "段落5"), 1.0);
  // Python's \d also matches full-width digits, which then differ from "5".
  EXPECT_EQ(retrieval_zh_score("段落５", "段落5"), 0.0);
  EXPECT_DOUBLE_EQ(count_score("There are 7 unique paragraphs, not 17.", "7"), 0.5);
  EXPECT_DOUBLE_EQ(count_score("v2 has 3", "3"), 0.5);
  EXPECT_EQ(count_score("", "3"), 0.0);
  EXPECT_THROW(retrieval_score("1", "the first one"), InputError);
}

TEST(CodeSim, LineSelectionAndFuzzRatio) {
  EXPECT_EQ(code_sim_line("```python\n# comment\nx = foo(1)\ny = 2"), "x = foo(1)");
  EXPECT_EQ(code_sim_line("\n\nreturn a + b"), "return a + b");
  EXPECT_EQ(code_sim_line("// only a comment"), "");
  EXPECT_DOUBLE_EQ(code_sim("\n\nreturn a + b", "return a + b"), 1.0);
  EXPECT_EQ(fuzz_ratio("abcd", "abce"), 75);
  EXPECT_EQ(fuzz_ratio("", "x"), 0);
  EXPECT_EQ(fuzz_ratio("", ""), 100);
  // 12.5 and 37.5 round half to even, as Python's round().
  EXPECT_EQ(fuzz_ratio("abcdefgh", "hijklmnp"), 12);
  EXPECT_EQ(fuzz_ratio("abcxxxxx", "abcyyyyy"), 38);
  EXPECT_DOUBLE_EQ(code_sim("# x\n", "foo()"), 0.0);
}

TEST(CodeSim, DifflibAndLevenshteinDiffer) {
  // difflib commits to the first longest block ("ba" at the end of b) and finds nothing on
  // either side of it; the longest common subsequence ("bca") is 3 long.
  EXPECT_DOUBLE_EQ(difflib_ratio(U"babcca", U"ccba"), 0.4);
  EXPECT_DOUBLE_EQ(levenshtein_ratio(U"babcca", U"ccba"), 0.6);
  EXPECT_DOUBLE_EQ(difflib_ratio(U"xabc", U"abcx"), 0.75);
  EXPECT_DOUBLE_EQ(difflib_ratio(U"", U""), 1.0);
  EXPECT_DOUBLE_EQ(levenshtein_ratio(U"ab", U"ba"), 0.5);
  EXPECT_EQ(fuzz_ratio("babcca", "ccba", SequenceRatio::kLevenshtein), 60);
}

TEST(Rouge, LongBenchRougeL) {
  const double two_thirds = 2.0 * ((2.0 / 3 * 2.0 / 3) / (2.0 / 3 + 2.0 / 3 + 1e-8));
  EXPECT_DOUBLE_EQ(rouge_l("the cat sat", "the cat ran"), two_thirds);
  // Reference sentences "a b" and "c d": union LCS {a, b, c} over 4 reference words.
  EXPECT_DOUBLE_EQ(rouge_l("a b c", "a b. c d"), 2.0 * ((1.0 * 0.75) / (1.0 + 0.75 + 1e-8)));
  // Words are counted as sets.
  EXPECT_DOUBLE_EQ(rouge_l("a a a", "a"), 2.0 * (1.0 / (2.0 + 1e-8)));
  EXPECT_EQ(rouge_l("", "a"), 0.0);
  EXPECT_EQ(rouge_l("...", "a"), 0.0);
  EXPECT_EQ(rouge_l("x y", "a b"), 0.0);
}

TEST(Rouge, RecursionBudgetParity) {
  // One 1000-word sentence compared with itself: the package's recursive LCS reconstruction
  // needs 1001 frames, Python raises RecursionError, and LongBench scores 0.
  std::string text;
  for (int i = 0; i < 1000; ++i) text += "w" + std::to_string(i) + " ";
  EXPECT_EQ(rouge_l(text, text), 0.0);
  RougeOptions unlimited;
  unlimited.recursion_budget = 0;
  EXPECT_NEAR(rouge_l(text, text, unlimited), 1.0, 1e-8);
  // 900 words fit in the budget.
  std::string shorter;
  for (int i = 0; i < 900; ++i) shorter += "w" + std::to_string(i) + " ";
  EXPECT_NEAR(rouge_l(shorter, shorter), 1.0, 1e-8);
}

TEST(Rouge, InfiniteBenchRougeLsum) {
  EXPECT_DOUBLE_EQ(rouge_lsum("The cat sat.\nIt was happy", "the cat sat on the mat"), 0.5);
  EXPECT_DOUBLE_EQ(rouge_lsum("A b C", "a B c"), 1.0);
  EXPECT_EQ(rouge_lsum("", "a"), 0.0);
  EXPECT_EQ(rouge_lsum("!!!", "a"), 0.0);
}

TEST(InfiniteBench, PasskeyAndKv) {
  EXPECT_EQ(passkey_score("The pass key is 71432.", strings({"71432"})), 1.0);
  EXPECT_EQ(passkey_score("key 7-1432", strings({"71432"})), 0.0);
  EXPECT_EQ(passkey_score("", strings({"71432"})), 0.0);
  EXPECT_EQ(kv_retrieval_score("The value is: \"abc-123\".", strings({"abc-123"})), 1.0);
  EXPECT_EQ(kv_retrieval_score("abc-1234", strings({"abc-123"})), 0.0);
}

TEST(InfiniteBench, ChoiceAndDialogue) {
  EXPECT_EQ(choice_score("B. The answer", strings({"B"})), 1.0);
  EXPECT_EQ(choice_score("The answer is: C", strings({"B"})), 0.0);
  EXPECT_EQ(choice_score("The answer is: C", strings({"C"})), 1.0);
  EXPECT_EQ(choice_score(" I think D", strings({"D"})), 1.0);
  EXPECT_EQ(choice_score("", strings({"D"})), 0.0);
  EXPECT_EQ(dialogue_score("It is likely john.", strings({"JOHN"})), 1.0);
  EXPECT_EQ(dialogue_score("Johnny", strings({"JOHN"})), 0.0);
}

TEST(InfiniteBench, NumbersAndCode) {
  const std::vector<metrics::Answer> integer{{metrics::Answer::Kind::kInteger, "42"}};
  const std::vector<metrics::Answer> real{{metrics::Answer::Kind::kNumber, "3.5"}};
  EXPECT_EQ(math_find_score("The answer is 42.", integer), 1.0);
  EXPECT_EQ(math_find_score("42.5", integer), 0.0);
  EXPECT_EQ(math_find_score("none", integer), 0.0);
  EXPECT_EQ(math_find_score("about 3.50", real), 1.0);
  EXPECT_THROW(math_find_score("42", strings({"42"})), InputError);
  const std::vector<metrics::Answer> run{{metrics::Answer::Kind::kInteger, "-7"}};
  EXPECT_EQ(code_run_score("The value is -7.", run), 1.0);
  EXPECT_EQ(code_run_score("-7 is wrong, it is 8", run), 0.0);
  EXPECT_EQ(code_run_score("", run), 0.0);
  const auto debug = strings({"func_a", "B"});
  EXPECT_EQ(code_debug_score("B. func_a", debug), 1.0);
  EXPECT_EQ(code_debug_score("The answer is: func_a", debug), 1.0);
  EXPECT_EQ(code_debug_score("The answer is: A", debug), 0.0);
  EXPECT_EQ(code_debug_score("no idea", debug), 0.0);
}

TEST(Metric, NamesRoundTrip) {
  for (const auto& name : metric_names()) {
    const auto metric = parse_metric(name);
    ASSERT_TRUE(metric.has_value()) << name;
    EXPECT_EQ(metric_name(*metric), name);
  }
  EXPECT_FALSE(parse_metric("bleu").has_value());
}

}  // namespace
}  // namespace evomem::metrics
