// The synthetic generators: determinism, lengths, needle placement and spans, the task
// definitions and RULER's metric. Lengths are measured with a small byte-level BPE trained
// here by training/bpe_trainer (the same pipeline as the built-in backbone's tokenizer).

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "core/error.h"

#include "metrics/metric.h"
#include "model/tokenizer.h"
#include "tasks/prompt_builder.h"
#include "tasks/synthetic/generators.h"
#include "tasks/synthetic/random.h"
#include "tasks/synthetic/suite.h"
#include "tasks/synthetic/tokenizer.h"
#include "tests/support/test_support.h"
#include "training/bpe_trainer.h"

namespace evomem::tasks {
namespace {

std::size_t count_occurrences(const std::string& text, const std::string& needle) {
  std::size_t count = 0;
  for (std::size_t at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) ++count;
  return count;
}

class SyntheticTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    // A corpus made by the generators themselves, measured with a merge-free byte tokenizer.
    const auto bytes_only = training::train_bpe({"x"}, training::BpeTrainingOptions{0});
    const auto base = model::Tokenizer::from_json(bytes_only.tokenizer, &bytes_only.tokenizer_config, "bytes");
    std::vector<std::string> corpus;
    for (const auto& task : synthetic_task_names()) {
      SyntheticOptions options{task, 1500, 1, 99, std::nullopt, 1.0};
      for (const auto& sample : generate_synthetic(options, synthetic_tokenizer(base))) {
        corpus.push_back(sample.context + "\n" + sample.input);
      }
    }
    trained_ = new training::TrainedTokenizer(training::train_bpe(corpus, training::BpeTrainingOptions{300}));
    tokenizer_ = new model::Tokenizer(
        model::Tokenizer::from_json(trained_->tokenizer, &trained_->tokenizer_config, "trained"));
  }
  static void TearDownTestSuite() {
    delete tokenizer_;
    delete trained_;
  }
  static std::vector<SyntheticSample> make(const std::string& task, std::size_t length, std::size_t samples,
                                           std::uint64_t seed, std::optional<double> depth = std::nullopt) {
    return generate_synthetic(SyntheticOptions{task, length, samples, seed, depth}, synthetic_tokenizer(*tokenizer_));
  }
  static std::string prompt_of(const SyntheticSample& sample) {
    return fill_template(synthetic_task_spec(sample.task).prompt_template,
                         {{"context", sample.context}, {"input", sample.input}}, "test");
  }

  static training::TrainedTokenizer* trained_;
  static model::Tokenizer* tokenizer_;
};

training::TrainedTokenizer* SyntheticTest::trained_ = nullptr;
model::Tokenizer* SyntheticTest::tokenizer_ = nullptr;

TEST(SyntheticRngTest, StreamsAreReproducibleAndDistinct) {
  auto a = SyntheticRng::for_stream(7, 3);
  auto b = SyntheticRng::for_stream(7, 3);
  auto c = SyntheticRng::for_stream(7, 4);
  const auto first = a.next();
  EXPECT_EQ(first, b.next());
  EXPECT_NE(first, c.next());
  const std::string uuid = a.uuid();
  ASSERT_EQ(uuid.size(), 36u);
  EXPECT_EQ(uuid[14], '4');
  EXPECT_NE(std::string("89ab").find(uuid[19]), std::string::npos);
  for (int i = 0; i < 1000; ++i) EXPECT_LT(a.below(7), 7u);
  EXPECT_EQ(a.digits(5).size(), 5u);
}

TEST_F(SyntheticTest, SameSeedGivesIdenticalLinesOtherSeedsDiffer) {
  for (const auto& task : synthetic_task_names()) {
    const auto first = make(task, 1024, 2, 5);
    const auto second = make(task, 1024, 2, 5);
    const auto other = make(task, 1024, 2, 6);
    for (std::size_t i = 0; i < first.size(); ++i) {
      EXPECT_EQ(synthetic_sample_json(first[i]), synthetic_sample_json(second[i])) << task;
      EXPECT_NE(first[i].context, other[i].context) << task;
    }
    // Sample i does not depend on how many samples the file has.
    EXPECT_EQ(synthetic_sample_json(make(task, 1024, 1, 5)[0]).size() > 0, true);
    EXPECT_EQ(make(task, 1024, 3, 5, 0.0)[1].answers, make(task, 1024, 2, 5, 0.0)[1].answers) << task;
  }
}

TEST_F(SyntheticTest, PromptLengthsAreWithinOnePercent) {
  for (const auto& task : synthetic_task_names()) {
    for (const std::size_t length : {1000u, 2048u, 4096u}) {
      for (const auto& sample : make(task, length, 2, 11)) {
        const auto tokens = tokenizer_->encode(prompt_of(sample), false);
        EXPECT_EQ(tokens.size(), sample.length) << task;
        EXPECT_LE(std::abs(static_cast<double>(tokens.size()) - static_cast<double>(length)), 0.01 * length)
            << task << " at " << length << ": " << tokens.size();
      }
    }
  }
}

TEST_F(SyntheticTest, AnswersAppearWhereTheTaskSays) {
  for (const auto& sample : make("synth_passkey", 2048, 3, 2)) {
    ASSERT_EQ(sample.answers.size(), 1u);
    const std::string needle = "The pass key is " + sample.answers[0] + ". Remember it. " + sample.answers[0] +
                               " is the pass key.";
    EXPECT_EQ(count_occurrences(sample.context, needle), 1u);
    EXPECT_EQ(count_occurrences(sample.context, sample.answers[0]), 2u);
  }
  for (const std::string task : {"synth_niah_single", "synth_niah_multikey", "synth_kv_retrieval",
                                 "synth_number_string", "synth_niah_multivalue", "synth_niah_multiquery"}) {
    for (const auto& sample : make(task, 2048, 3, 2)) {
      for (const auto& answer : sample.answers) {
        const std::size_t expected = task == "synth_number_string" ? 2u : 1u;
        EXPECT_EQ(count_occurrences(sample.context, answer), expected) << task << " " << answer;
        EXPECT_EQ(count_occurrences(sample.input, answer), 0u) << task;
      }
    }
  }
  for (const auto& sample : make("synth_kv_retrieval", 2048, 2, 4)) {
    const auto key_span = std::find_if(sample.needles.begin(), sample.needles.end(),
                                       [](const NeedleSpan& span) { return span.kind == "key"; });
    ASSERT_NE(key_span, sample.needles.end());
    EXPECT_EQ(count_occurrences(sample.context, key_span->text), 1u);
    EXPECT_NE(sample.input.find(key_span->text), std::string::npos);
  }
  for (const auto& sample : make("synth_common_words", 2048, 2, 4)) {
    ASSERT_EQ(sample.answers.size(), 10u);
    for (const auto& word : sample.answers) EXPECT_GE(count_occurrences(sample.context, ". " + word + " "), 6u);
  }
  for (const auto& sample : make("synth_variable_tracking", 2048, 2, 4)) {
    ASSERT_EQ(sample.answers.size(), 5u);
    EXPECT_EQ(count_occurrences(sample.context, "VAR " + sample.answers[0] + " = "), 1u);
  }
}

TEST_F(SyntheticTest, NeedleSpansPointAtTheirTextInCharactersAndTokens) {
  for (const auto& task : synthetic_task_names()) {
    for (const auto& sample : make(task, 1500, 3, 8)) {
      if (task != "synth_common_words") {
        EXPECT_FALSE(sample.needles.empty()) << task;
      }
      const std::string prompt = prompt_of(sample);
      EXPECT_EQ(prompt.substr(sample.prompt_context_offset, sample.context.size()), sample.context);
      const auto tokens = tokenizer_->encode(prompt, false);
      for (const auto& span : sample.needles) {
        ASSERT_LE(span.char_end, sample.context.size());
        EXPECT_EQ(sample.context.substr(span.char_begin, span.char_end - span.char_begin), span.text) << task;
        ASSERT_LT(span.token_begin, span.token_end);
        ASSERT_LE(span.token_end, tokens.size());
        const auto slice = [&](std::size_t begin, std::size_t end) {
          return tokenizer_->decode(std::vector<model::TokenId>(tokens.begin() + static_cast<std::ptrdiff_t>(begin),
                                                                tokens.begin() + static_cast<std::ptrdiff_t>(end)));
        };
        EXPECT_NE(slice(span.token_begin, span.token_end).find(span.text), std::string::npos) << task;
        // Minimal: dropping the first or the last token loses part of the text.
        if (span.token_end - span.token_begin > 1) {
          EXPECT_EQ(slice(span.token_begin + 1, span.token_end).find(span.text), std::string::npos) << task;
          EXPECT_EQ(slice(span.token_begin, span.token_end - 1).find(span.text), std::string::npos) << task;
        }
      }
    }
  }
}

TEST_F(SyntheticTest, DepthPlacesTheNeedle) {
  for (const double depth : {0.0, 0.5, 1.0}) {
    const auto sample = make("synth_niah_single", 2048, 1, 3, depth)[0];
    ASSERT_FALSE(sample.needles.empty());
    const double where = static_cast<double>(sample.needles[0].char_begin) / static_cast<double>(sample.context.size());
    EXPECT_NEAR(where, depth, 0.03);
  }
  const auto spread = make("synth_passkey", 2048, 5, 3);
  EXPECT_LT(spread.front().needles[0].char_begin, spread.back().needles[0].char_begin);
  EXPECT_DOUBLE_EQ(spread[2].depth, 0.5);
  EXPECT_THROW(make("synth_passkey", 2048, 1, 3, 1.5), InputError);
  EXPECT_THROW(make("no_such_task", 2048, 1, 3), InputError);
  EXPECT_THROW(make("synth_passkey", 20, 1, 3), InputError);
}

TEST_F(SyntheticTest, JsonLinesHaveTheLongBenchFields) {
  const auto sample = make("synth_niah_multikey", 1024, 1, 1)[0];
  const auto record = nlohmann::json::parse(synthetic_sample_json(sample));
  for (const char* field : {"input", "context", "answers", "length", "dataset", "language", "all_classes", "_id",
                            "needles", "depth", "prompt_context_offset"}) {
    EXPECT_TRUE(record.contains(field)) << field;
  }
  EXPECT_EQ(record["dataset"], "synth_niah_multikey");
  EXPECT_TRUE(record["all_classes"].is_null());
  EXPECT_EQ(record["length"].get<std::size_t>(), sample.length);
  evomem::test_support::TempDirectory directory;
  const auto path = directory.path() / "out.jsonl";
  write_synthetic_jsonl({sample, sample}, path);
  std::ifstream in(path);
  std::string line;
  std::size_t lines = 0;
  while (std::getline(in, line)) {
    EXPECT_EQ(line, synthetic_sample_json(sample));
    ++lines;
  }
  EXPECT_EQ(lines, 2u);
}

TEST(SyntheticTasksTest, TomlFileMatchesTheBuiltInDefinitions) {
  TaskRegistry from_file;
  from_file.add_from_toml(std::filesystem::path(EVOMEM_SOURCE_DIR) / "tasks" / "synthetic" / "tasks.toml");
  for (const auto& name : synthetic_task_names()) {
    const TaskSpec spec = synthetic_task_spec(name);
    const TaskSpec& loaded = from_file.get(name);
    EXPECT_EQ(loaded.prompt_template, spec.prompt_template) << name;
    EXPECT_EQ(loaded.max_new_tokens, spec.max_new_tokens) << name;
    EXPECT_EQ(loaded.metric, spec.metric) << name;
  }
  EXPECT_EQ(from_file.names().size(), synthetic_task_names().size());
}

TEST(SyntheticTasksTest, StringMatchAllIsTheFractionOfAnswersContained) {
  const auto refs = metrics::string_references({"1234567", "Apple", "999"});
  EXPECT_DOUBLE_EQ(
      metrics::score_prediction(metrics::Metric::kStringMatchAll, "the numbers are 1234567 and apple", refs),
      2.0 / 3.0);
  EXPECT_DOUBLE_EQ(metrics::score_prediction(metrics::Metric::kStringMatchAll, "", refs), 0.0);
  EXPECT_DOUBLE_EQ(metrics::score_prediction(metrics::Metric::kStringMatchAll, "999 APPLE 1234567", refs), 1.0);
  EXPECT_EQ(metrics::parse_metric("string_match_all"), metrics::Metric::kStringMatchAll);
}

}  // namespace
}  // namespace evomem::tasks
