// Retention records without a backbone: token classes, token text and byte offsets, mapping a
// context onto tokens (with and without middle truncation), the per-layer summary against
// hand-computed values, its CSV, and the retention.h5 round trip.

#include <gtest/gtest.h>

#include <cmath>
#include <map>

#include "core/error.h"
#include "core/hdf5.h"
#include "core/utf8.h"
#include "eval/retention_analysis.h"
#include "report/retention_file.h"
#include "report/retention_summary.h"
#include "tests/support/test_support.h"

namespace evomem::eval {
namespace {

TEST(TokenClass, ClassifiesByVisibleCharacters) {
  EXPECT_EQ(report::classify_token(" \n\t", false), report::TokenClass::kWhitespace);
  EXPECT_EQ(report::classify_token(" .", false), report::TokenClass::kPunctuation);
  EXPECT_EQ(report::classify_token(" 42", false), report::TokenClass::kDigits);
  EXPECT_EQ(report::classify_token(" word", false), report::TokenClass::kWords);
  EXPECT_EQ(report::classify_token("x1", false), report::TokenClass::kWords);
  EXPECT_EQ(report::classify_token("3.", false), report::TokenClass::kOther);
  EXPECT_EQ(report::classify_token("\xE4\xB8\xAD", false), report::TokenClass::kWords);  // 中
  EXPECT_EQ(report::classify_token("\xEF\xBF\xBD", false), report::TokenClass::kOther);
  EXPECT_EQ(report::classify_token("<|begin_of_text|>", true), report::TokenClass::kSpecial);
  EXPECT_STREQ(report::token_class_name(report::TokenClass::kDigits), "digits");
}

// Byte-level pieces: 1 "Hi", 2 and 3 the two bytes of "é", 4 " 7", 9 a special "<s>".
std::string fake_decode(const std::vector<std::int64_t>& ids) {
  static const std::map<std::int64_t, std::string> pieces{{1, "Hi"}, {2, "\xC3"}, {3, "\xA9"}, {4, " 7"}, {9, "<s>"}};
  std::string bytes;
  for (const auto id : ids) bytes += pieces.at(id);
  return core::to_valid_utf8(bytes);
}

TEST(TokenText, MergesPiecesOfACharacterAndKeepsOffsets) {
  report::SampleRetention record;
  record.token_ids = {9, 1, 2, 3, 4, 3};
  eval::fill_token_text(record, fake_decode, [](std::int64_t id) { return id == 9; });
  EXPECT_EQ(record.text, "<s>Hi\xC3\xA9 7\xEF\xBF\xBD");
  EXPECT_EQ(record.token_texts, (std::vector<std::string>{"<s>", "Hi", "\xC3\xA9", "", " 7", "\xEF\xBF\xBD"}));
  EXPECT_EQ(record.char_begin, (std::vector<std::int64_t>{0, 3, 5, 7, 7, 9}));
  EXPECT_EQ(record.char_end, (std::vector<std::int64_t>{3, 5, 7, 7, 9, 12}));
  EXPECT_EQ(record.token_classes[0], report::TokenClass::kSpecial);
  EXPECT_EQ(record.token_classes[2], report::TokenClass::kWords);
  EXPECT_EQ(record.token_classes[4], report::TokenClass::kDigits);
  EXPECT_EQ(record.token_classes[5], report::TokenClass::kOther);  // a lone continuation byte
}

// One token per character after a three-character preamble "Q: ".
report::SampleRetention character_record(const std::string& text, std::int64_t prompt_tokens) {
  report::SampleRetention record;
  for (std::size_t i = 0; i < text.size(); ++i) {
    record.token_ids.push_back(static_cast<std::int64_t>(i));
    record.token_texts.emplace_back(1, text[i]);
    record.char_begin.push_back(static_cast<std::int64_t>(i));
    record.char_end.push_back(static_cast<std::int64_t>(i + 1));
    record.token_classes.push_back(report::TokenClass::kWords);
  }
  record.text = text;
  record.prompt_tokens = prompt_tokens;
  return record;
}

TEST(LocateContext, PreambleAndSpansWithAndWithoutTruncation) {
  const std::string context = "aaaa KEY=7 bbbb cccc dddd ANSWER eeee";
  const std::vector<tasks::ContextSpan> spans{{"key", 5, 10}, {"answer", 26, 32}};
  auto whole = character_record("Q: " + context + " ?", static_cast<std::int64_t>(context.size() + 5));
  eval::locate_context(whole, context, spans);
  EXPECT_EQ(whole.preamble_end, 3);
  ASSERT_EQ(whole.spans.size(), 2u);
  EXPECT_EQ(whole.spans[0].kind, "key");
  EXPECT_EQ(whole.spans[0].token_begin, 8);
  EXPECT_EQ(whole.spans[0].token_end, 13);
  EXPECT_EQ(whole.spans[1].token_begin, 29);
  EXPECT_EQ(whole.spans[1].token_end, 35);

  // Middle truncation keeps "aaaa KEY=7 b" and "NSWER eeee": the key is found from the
  // start, the answer is cut (a part of it is not the whole span), a tail span is found from
  // the end. The probes are the whole context here (shorter than 64 bytes), so use a context
  // long enough for start and end probes to differ.
  std::string long_context = std::string(80, 'a') + " KEY=7 " + std::string(80, 'b') + " ANSWER " +
                             std::string(80, 'c');
  const std::size_t key_at = 81, answer_at = 81 + 7 + 80;
  const std::vector<tasks::ContextSpan> long_spans{{"key", key_at, key_at + 5}, {"answer", answer_at, answer_at + 6}};
  auto untruncated = character_record("Q: " + long_context, static_cast<std::int64_t>(long_context.size() + 3));
  eval::locate_context(untruncated, long_context, long_spans);
  ASSERT_EQ(untruncated.spans.size(), 2u);
  EXPECT_EQ(untruncated.spans[1].token_begin, static_cast<std::int64_t>(3 + answer_at));

  const std::string cut = long_context.substr(0, 100) + long_context.substr(150);  // drops 50 'b's
  auto truncated = character_record("Q: " + cut, static_cast<std::int64_t>(cut.size() + 3));
  eval::locate_context(truncated, long_context, long_spans);
  ASSERT_EQ(truncated.spans.size(), 2u);
  EXPECT_EQ(truncated.spans[0].token_begin, static_cast<std::int64_t>(3 + key_at));
  EXPECT_EQ(truncated.spans[1].token_begin, static_cast<std::int64_t>(3 + answer_at - 50));
  EXPECT_EQ(truncated.text.substr(static_cast<std::size_t>(truncated.spans[1].token_begin), 6), "ANSWER");

  const std::string cut_answer = long_context.substr(0, 100) + long_context.substr(answer_at + 3);
  auto lost = character_record("Q: " + cut_answer, static_cast<std::int64_t>(cut_answer.size() + 3));
  eval::locate_context(lost, long_context, long_spans);
  ASSERT_EQ(lost.spans.size(), 1u);  // half an answer is no answer
  EXPECT_EQ(lost.spans[0].kind, "key");

  // Truncated so hard that the spans' offsets lie beyond the prompt: no span, no crash.
  const std::string stub = long_context.substr(0, 64) + long_context.substr(250);
  auto tiny = character_record("Q: " + stub, static_cast<std::int64_t>(stub.size() + 3));
  eval::locate_context(tiny, long_context, long_spans);
  EXPECT_EQ(tiny.preamble_end, 3);
  EXPECT_TRUE(tiny.spans.empty());

  auto elsewhere = character_record("no context here", 15);
  eval::locate_context(elsewhere, long_context, long_spans);
  EXPECT_EQ(elsewhere.preamble_end, 0);
  EXPECT_TRUE(elsewhere.spans.empty());
}

// Six tokens, two layers, two KV heads; the numbers below are worked out by hand.
report::SampleRetention hand_made_record() {
  report::SampleRetention record;
  record.task = "passkey";
  record.id = "sample/1";
  record.policy = "h2o:heavy=2,recent=2";
  record.prediction = "7";
  record.score = 1.0;
  record.token_ids = {100, 101, 102, 103, 104, 105};
  record.token_texts = {"<s>", "Find", " ", "7", ".", " ok"};
  record.text = "<s>Find 7. ok";
  record.char_begin = {0, 3, 7, 8, 9, 10};
  record.char_end = {3, 7, 8, 9, 10, 13};
  record.token_classes = {report::TokenClass::kSpecial,     report::TokenClass::kWords,
                          report::TokenClass::kWhitespace,  report::TokenClass::kDigits,
                          report::TokenClass::kPunctuation, report::TokenClass::kWords};
  record.prompt_tokens = 5;
  record.preamble_end = 2;
  record.spans = {{"answer", 3, 4}, {"needle", 2, 5}};
  record.layers = 2;
  record.kv_heads = 2;
  record.evicted_at = {{-1, 8, 8, -1, -1, -1, /* head 1 */ -1, -1, 8, 8, -1, -1},
                       {-1, -1, -1, -1, -1, -1, /* head 1 */ 8, 8, 8, 8, -1, -1}};
  return record;
}

TEST(RetentionSummary, MatchesHandComputedValues) {
  const auto rows = report::summarize_retention({hand_made_record()});
  ASSERT_EQ(rows.size(), 3u);
  const auto& first = rows[0];
  EXPECT_EQ(first.layer, 0);
  EXPECT_EQ(first.entries, 12);
  EXPECT_DOUBLE_EQ(first.retained, 8.0 / 12.0);
  EXPECT_DOUBLE_EQ(first.age_mean, 18.0 / 8.0);  // ages 5 2 1 0 and 5 4 1 0
  EXPECT_DOUBLE_EQ(first.age_median, 1.5);
  EXPECT_DOUBLE_EQ(first.preamble_kept, 0.75);
  EXPECT_DOUBLE_EQ(first.needle_recall, 0.5);
  const auto index = [](report::TokenClass c) { return static_cast<std::size_t>(c); };
  EXPECT_DOUBLE_EQ(first.class_kept[index(report::TokenClass::kSpecial)], 1.0);
  EXPECT_DOUBLE_EQ(first.class_kept[index(report::TokenClass::kWords)], 0.75);
  EXPECT_DOUBLE_EQ(first.class_kept[index(report::TokenClass::kWhitespace)], 0.0);
  EXPECT_DOUBLE_EQ(first.class_kept[index(report::TokenClass::kDigits)], 0.5);
  EXPECT_DOUBLE_EQ(first.class_kept[index(report::TokenClass::kPunctuation)], 1.0);
  EXPECT_TRUE(std::isnan(first.class_kept[index(report::TokenClass::kOther)]));
  EXPECT_EQ(first.class_entries[index(report::TokenClass::kWords)], 4);

  const auto& second = rows[1];
  EXPECT_DOUBLE_EQ(second.retained, 8.0 / 12.0);
  EXPECT_DOUBLE_EQ(second.age_mean, 2.0);
  EXPECT_DOUBLE_EQ(second.age_median, 1.5);
  EXPECT_DOUBLE_EQ(second.preamble_kept, 0.5);

  const auto& all = rows[2];
  EXPECT_EQ(all.layer, -1);
  EXPECT_EQ(all.entries, 24);
  EXPECT_DOUBLE_EQ(all.retained, 16.0 / 24.0);
  EXPECT_DOUBLE_EQ(all.age_mean, 34.0 / 16.0);
  EXPECT_DOUBLE_EQ(all.age_median, 1.5);
  EXPECT_DOUBLE_EQ(all.preamble_kept, 5.0 / 8.0);
  EXPECT_DOUBLE_EQ(all.needle_recall, 0.5);

  // Without preamble or answer those columns are not applicable.
  auto plain = hand_made_record();
  plain.preamble_end = 0;
  plain.spans.clear();
  const auto plain_rows = report::summarize_retention({plain});
  EXPECT_TRUE(std::isnan(plain_rows[0].preamble_kept));
  EXPECT_TRUE(std::isnan(plain_rows[0].needle_recall));
}

TEST(RetentionSummary, PoolsSamplesAndRejectsMixedBackbones) {
  const auto one = report::summarize_retention({hand_made_record()});
  const auto two = report::summarize_retention({hand_made_record(), hand_made_record()});
  EXPECT_EQ(two[2].entries, 2 * one[2].entries);
  EXPECT_DOUBLE_EQ(two[2].retained, one[2].retained);
  EXPECT_DOUBLE_EQ(two[2].age_median, one[2].age_median);
  auto other = hand_made_record();
  other.layers = 1;
  other.evicted_at.pop_back();
  EXPECT_THROW(report::summarize_retention({hand_made_record(), other}), InputError);
}

TEST(RetentionSummary, CsvQuotesTheSpecAndLeavesNotApplicableEmpty) {
  auto plain = hand_made_record();
  plain.spans.clear();
  const std::string csv = report::retention_summary_csv("h2o:heavy=2,recent=2", report::summarize_retention({plain}));
  const std::string header = csv.substr(0, csv.find('\n'));
  EXPECT_EQ(header, "policy,layer,entries,retained,age_mean,age_median,preamble_kept,needle_recall,kept_whitespace,"
                    "kept_punctuation,kept_digits,kept_words,kept_special,kept_other");
  EXPECT_NE(csv.find("\n\"h2o:heavy=2,recent=2\",0,12,0.666667,2.25,1.5,0.750000,,0.000000,1.000000,0.500000,"
                     "0.750000,1.000000,\n"),
            std::string::npos);
  EXPECT_NE(csv.find("\n\"h2o:heavy=2,recent=2\",all,24,"), std::string::npos);
  EXPECT_EQ(report::retention_summary_csv("full", report::summarize_retention({plain}), false).rfind("\"full\",0,", 0),
            0u);
  EXPECT_NE(report::retention_summary_text(report::summarize_retention({plain})).find("all"), std::string::npos);
}

TEST(RetentionFile, RoundTripsAndRejectsOtherFiles) {
  test_support::TempDirectory folder("retention_file");
  report::RetentionFile content;
  content.backbone = "models/evomem-tiny";
  content.command_line = "evomem analyze ...";
  auto record = hand_made_record();
  auto twin = hand_made_record();  // same id: stored under "sample_1#2"
  twin.score = 0.0;
  content.sets.push_back({record.policy, {record, twin}, report::summarize_retention({record, twin})});
  auto plain = hand_made_record();
  plain.spans.clear();
  plain.policy = "full";
  content.sets.push_back({"full", {plain}, report::summarize_retention({plain})});
  const auto path = folder / "retention.h5";
  report::write_retention_file(path, content);

  const auto back = report::read_retention_file(path);
  EXPECT_EQ(back.backbone, content.backbone);
  EXPECT_EQ(back.command_line, content.command_line);
  ASSERT_EQ(back.sets.size(), 2u);
  for (std::size_t s = 0; s < 2; ++s) {
    const auto& expected = content.sets[s];
    const auto& got = back.sets[s];
    EXPECT_EQ(got.policy, expected.policy);
    ASSERT_EQ(got.samples.size(), expected.samples.size());
    for (std::size_t i = 0; i < got.samples.size(); ++i) {
      const auto& a = got.samples[i];
      const auto& b = expected.samples[i];
      EXPECT_EQ(a.id, b.id);
      EXPECT_EQ(a.score, b.score);
      EXPECT_EQ(a.token_ids, b.token_ids);
      EXPECT_EQ(a.token_texts, b.token_texts);
      EXPECT_EQ(a.char_begin, b.char_begin);
      EXPECT_EQ(a.text, b.text);
      EXPECT_EQ(a.token_classes, b.token_classes);
      EXPECT_EQ(a.preamble_end, b.preamble_end);
      EXPECT_EQ(a.evicted_at, b.evicted_at);
      ASSERT_EQ(a.spans.size(), b.spans.size());
      for (std::size_t k = 0; k < a.spans.size(); ++k) EXPECT_EQ(a.spans[k].token_end, b.spans[k].token_end);
    }
    ASSERT_EQ(got.summary.size(), expected.summary.size());
    EXPECT_DOUBLE_EQ(got.summary.back().age_mean, expected.summary.back().age_mean);
  }
  // The masks are plain [kv_heads, tokens] uint8 datasets next to the eviction times.
  const auto file = core::h5::File::open(path);
  const auto mask = file.group("samples").group("sample_1").dataset("layer_1");
  EXPECT_EQ(mask.shape(), (core::h5::Shape{2, 6}));
  EXPECT_EQ(mask.read<std::uint8_t>(), (std::vector<std::uint8_t>{1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 1, 1}));
  EXPECT_TRUE(file.group("samples").contains("sample_1#2"));

  core::h5::File::create(folder / "other.h5").set_attribute("format", "evomem-run");
  EXPECT_THROW(report::read_retention_file(folder / "other.h5"), FormatError);
  EXPECT_THROW(report::write_retention_file(folder / "empty.h5", report::RetentionFile{}), InputError);
  EXPECT_FALSE(std::filesystem::exists(folder / "empty.h5"));
}

}  // namespace
}  // namespace evomem::eval
