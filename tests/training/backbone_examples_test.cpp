// The backbone's training examples: a task sample is BOS, prompt, answer, EOS with the loss on
// the answer; kv_retrieval's extra questions ask for other keys of the same object and answer
// each with its own value; induction drills weigh exactly the tokens an earlier match predicts.

#include <gtest/gtest.h>

#include <filesystem>
#include <map>

#include "model/tokenizer.h"
#include "tasks/prompt_builder.h"
#include "tasks/synthetic/generators.h"
#include "tasks/synthetic/suite.h"
#include "tasks/synthetic/tokenizer.h"
#include "training/backbone_examples.h"

namespace evomem::training {
namespace {

const std::filesystem::path kModel = std::filesystem::path(EVOMEM_SOURCE_DIR) / "models" / "evomem-tiny";

tasks::SyntheticSample sample_of(const std::string& task, const model::Tokenizer& tokenizer) {
  tasks::SyntheticOptions options;
  options.task = task;
  options.length = 900;
  options.seed = 5;
  options.depth = 0.4;
  return tasks::generate_synthetic(options, tasks::synthetic_tokenizer(tokenizer)).at(0);
}

// The text of each run of consecutive weight-1 predictions (the tokens they predict).
std::vector<std::string> answered_runs(const Example& example, const model::Tokenizer& tokenizer) {
  std::vector<std::string> runs;
  std::vector<model::TokenId> run;
  for (std::size_t t = 0; t + 1 < example.tokens.size(); ++t) {
    if (example.weights[t] == 1.0f) {
      run.push_back(static_cast<model::TokenId>(example.tokens[t + 1]));
    } else if (!run.empty()) {
      runs.push_back(tokenizer.decode(run));
      run.clear();
    }
  }
  if (!run.empty()) runs.push_back(tokenizer.decode(run));
  return runs;
}

TEST(BackboneExamplesTest, TaskSampleIsPromptAnswerEos) {
  const auto tokenizer = model::Tokenizer::load(kModel);
  const auto sample = sample_of("synth_passkey", tokenizer);
  const auto example = make_example(sample, tokenizer, 0.1);
  const auto prompt = tasks::fill_template(tasks::synthetic_task_spec(sample.task).prompt_template,
                                           {{"context", sample.context}, {"input", sample.input}}, "test");
  std::vector<std::int64_t> expected{*tokenizer.bos_token_id()};
  for (const auto id : tokenizer.encode(prompt, false)) expected.push_back(id);
  EXPECT_EQ(example.answer_begin, expected.size());
  for (const auto id : tokenizer.encode(answer_text(sample), false)) expected.push_back(id);
  EXPECT_EQ(example.answer_end, expected.size());
  expected.push_back(*tokenizer.eos_token_id());
  EXPECT_EQ(example.tokens, expected);
  ASSERT_EQ(example.weights.size(), expected.size());
  EXPECT_FLOAT_EQ(example.weights[0], 0.1f);
  EXPECT_FLOAT_EQ(example.weights.back(), 0.0f);  // nothing follows EOS
  const auto runs = answered_runs(example, tokenizer);
  ASSERT_EQ(runs.size(), 1u);
  EXPECT_EQ(runs[0], answer_text(sample) + tokenizer.decode({static_cast<model::TokenId>(*tokenizer.eos_token_id())}));
}

TEST(BackboneExamplesTest, ExtraKvQuestionsAreAnsweredFromTheSameObject) {
  const auto tokenizer = model::Tokenizer::load(kModel);
  const auto sample = sample_of("synth_kv_retrieval", tokenizer);
  const auto pairs = kv_pairs(sample.context);
  ASSERT_GT(pairs.size(), 5u);
  std::map<std::string, std::string> value_of(pairs.begin(), pairs.end());
  EXPECT_EQ(value_of.size(), pairs.size());

  const auto plain = make_example(sample, tokenizer, 0.1);
  const auto asked = make_example(sample, tokenizer, 0.1, 4, 77);
  EXPECT_EQ(make_example(sample, tokenizer, 0.1, 4, 77).tokens, asked.tokens);  // same seed, same questions
  EXPECT_GT(asked.tokens.size(), plain.tokens.size());
  // The real question and its answer still end the example.
  const std::vector<std::int64_t> plain_tail(
      plain.tokens.begin() + static_cast<std::ptrdiff_t>(plain.answer_begin) - 20, plain.tokens.end());
  const std::vector<std::int64_t> asked_tail(asked.tokens.end() - static_cast<std::ptrdiff_t>(plain_tail.size()),
                                             asked.tokens.end());
  EXPECT_EQ(asked_tail, plain_tail);

  // Four answered values before the real answer, each the value of the key asked just before it.
  const std::string text = tokenizer.decode(std::vector<model::TokenId>(asked.tokens.begin() + 1, asked.tokens.end()));
  const auto runs = answered_runs(asked, tokenizer);
  ASSERT_EQ(runs.size(), 5u);
  std::size_t from = text.find(sample.input.substr(0, 5), text.rfind('}'));
  for (std::size_t q = 0; q < 4; ++q) {
    const auto key_at = text.find("Key: \"", from);
    ASSERT_NE(key_at, std::string::npos);
    const std::string key = text.substr(key_at + 6, 36);
    ASSERT_TRUE(value_of.count(key)) << key;
    EXPECT_EQ(runs[q], " \"" + value_of[key]);
    from = key_at + 6;
  }
}

TEST(BackboneExamplesTest, InductionDrillWeighsOnlyTokensAnEarlierMatchPredicts) {
  tasks::SyntheticRng rng(9);
  const std::int64_t vocabulary = 500;
  const auto drill = make_induction_drill(256, rng, vocabulary, 0);
  ASSERT_EQ(drill.tokens.size(), 256u);
  EXPECT_EQ(drill.tokens[0], vocabulary);  // BOS
  std::size_t weighted = 0;
  for (std::size_t t = 0; t + 1 < drill.tokens.size(); ++t) {
    if (drill.weights[t] == 0.0f) continue;
    ++weighted;
    // Some earlier occurrence of token t is followed by token t + 1.
    bool predicted = false;
    for (std::size_t u = 1; u + 1 <= t && !predicted; ++u) {
      predicted = drill.tokens[u] == drill.tokens[t] && drill.tokens[u + 1] == drill.tokens[t + 1];
    }
    EXPECT_TRUE(predicted) << "position " << t;
  }
  EXPECT_GT(weighted, 80u);  // about 128 repeated tokens, less the first of each span
  for (const auto token : drill.tokens) EXPECT_LE(token, vocabulary);
}

}  // namespace
}  // namespace evomem::training
