// `evomem analyze`'s records on the built-in backbone: replaying the recorded evictions as a
// policy reproduces the generated answer and leaves exactly the recorded cache; the records
// are deterministic; the task's landmarks land on the right tokens; the full cache evicts
// nothing.

#include <gtest/gtest.h>

#include <ATen/ATen.h>

#include <filesystem>

#include "eval/retention_analysis.h"
#include "memory/policy.h"
#include "model/backbone.h"
#include "model/tokenizer.h"
#include "report/retention_file.h"
#include "tasks/synthetic/generators.h"
#include "tasks/synthetic/suite.h"
#include "tasks/synthetic/tokenizer.h"
#include "tasks/task_samples.h"
#include "tests/eval/builtin_model_test.h"
#include "tests/support/test_support.h"

namespace evomem::eval {
namespace {

constexpr std::int64_t kInterval = 128;

// Evicts, at each update, exactly the tokens the record says left the head at that update.
// It asks for attention like the recorded policy did, so the backbone computes the same way.
class ReplayPolicy : public memory::Policy {
 public:
  explicit ReplayPolicy(const report::SampleRetention& record) : Policy(kInterval), record_(record) {}
  std::string name() const override { return "replay"; }
  std::string spec() const override { return "replay"; }

 protected:
  std::optional<at::Tensor> select(const model::AttentionObservation& observation) override {
    const auto& evicted = record_.evicted_at.at(static_cast<std::size_t>(observation.layer));
    const at::Tensor positions = observation.positions.cpu();
    at::Tensor keep = at::ones(positions.sizes(), at::kBool);
    for (std::int64_t head = 0; head < positions.size(1); ++head) {
      for (std::int64_t slot = 0; slot < positions.size(2); ++slot) {
        const std::int64_t position = positions[0][head][slot].item<std::int64_t>();
        if (position < 0 || position >= record_.tokens()) continue;
        const auto at_update = evicted[static_cast<std::size_t>(head * record_.tokens() + position)];
        keep[0][head][slot] = at_update != observation.tokens_seen;
      }
    }
    return keep.to(observation.valid.device());
  }

 private:
  const report::SampleRetention& record_;
};

class RetentionAnalysisTest : public BuiltinModelTest {
 protected:
  // A passkey sample written and read back as a task file (so the needles field is read).
  tasks::EvalSample passkey_sample() {
    tasks::SyntheticOptions options;
    options.task = "synth_passkey";
    options.length = 700;
    options.seed = 5;
    options.depth = 0.3;
    const auto path = folder_ / "passkey.jsonl";
    tasks::write_synthetic_jsonl(tasks::generate_synthetic(options, tasks::synthetic_tokenizer(*tokenizer_)), path);
    return tasks::load_task_samples(task_, path).at(0);
  }

  RunnerOptions runner_options() const {
    RunnerOptions options;
    options.chunk_size = 64;
    return options;
  }

  test_support::TempDirectory folder_{"retention_analysis"};
  tasks::TaskSpec task_ = tasks::synthetic_task_spec("synth_passkey");
};

TEST_F(RetentionAnalysisTest, ReplayingTheRecordReproducesAnswerAndCache) {
  const auto sample = passkey_sample();
  RetentionAnalyzer analyzer(*backbone_, *tokenizer_, runner_options());
  auto policy = memory::make_policy("h2o:heavy=48,recent=48,interval=" + std::to_string(kInterval));
  const auto record = analyzer.analyze(task_, sample, *policy);
  ASSERT_GT(record.tokens(), 600);
  EXPECT_EQ(record.layers, backbone_->config().num_hidden_layers);
  EXPECT_EQ(record.kv_heads, backbone_->config().num_key_value_heads);
  for (std::int64_t layer = 0; layer < record.layers; ++layer) {
    const auto mask = record.keep_mask(layer);
    const auto kept = std::count(mask.begin(), mask.end(), 1);
    EXPECT_GT(kept, 0);
    EXPECT_LT(kept, record.kv_heads * record.tokens() / 2) << "layer " << layer;
  }

  // Through the file, as a user would replay it.
  report::RetentionFile file;
  file.sets.push_back({record.policy, {record}, report::summarize_retention({record})});
  report::write_retention_file(folder_ / "retention.h5", file);
  const auto stored = report::read_retention_file(folder_ / "retention.h5").sets.at(0).samples.at(0);

  ReplayPolicy replay(stored);
  Runner runner(*backbone_, *tokenizer_, runner_options());
  const auto replayed = runner.run(task_, sample, &replay);
  EXPECT_EQ(replayed.prediction, record.prediction);
  EXPECT_EQ(replayed.tokens, record.token_ids);
  for (std::int64_t layer = 0; layer < record.layers; ++layer) {
    const at::Tensor positions = backbone_->cache().positions(layer)[0].cpu();
    const at::Tensor valid = backbone_->cache().valid(layer)[0].cpu();
    at::Tensor cached = at::zeros({record.kv_heads, record.tokens()}, at::kByte);
    for (std::int64_t head = 0; head < positions.size(0); ++head) {
      for (std::int64_t slot = 0; slot < positions.size(1); ++slot) {
        if (valid[head][slot].item<bool>()) cached[head][positions[head][slot].item<std::int64_t>()] = 1;
      }
    }
    const auto mask = record.keep_mask(layer);
    EXPECT_TRUE(
        at::equal(cached.flatten(), at::tensor(std::vector<std::int64_t>(mask.begin(), mask.end())).to(at::kByte)))
        << "layer " << layer;
  }

  // The same policy on the same sample records the same evictions.
  const auto again = analyzer.analyze(task_, sample, *policy);
  EXPECT_EQ(again.evicted_at, record.evicted_at);
}

TEST_F(RetentionAnalysisTest, LandmarksPointAtThePasskeyAndFullCacheKeepsAll) {
  const auto sample = passkey_sample();
  RetentionAnalyzer analyzer(*backbone_, *tokenizer_, runner_options());
  const auto record = analyzer.analyze(task_, sample, *memory::make_policy("full"));
  EXPECT_EQ(record.policy, memory::make_policy("full")->spec());
  EXPECT_EQ(record.token_ids.front(), tokenizer_->bos_token_id().value_or(-1));
  EXPECT_EQ(record.token_classes.front(), report::TokenClass::kSpecial);
  EXPECT_EQ(record.char_end.back(), static_cast<std::int64_t>(record.text.size()));
  // The preamble is the instruction before the haystack.
  ASSERT_GT(record.preamble_end, 1);
  const auto context_at = static_cast<std::int64_t>(record.text.find(sample.fields.at("context").substr(0, 40)));
  EXPECT_LE(record.char_end[static_cast<std::size_t>(record.preamble_end - 1)], context_at);
  EXPECT_GT(record.char_end[static_cast<std::size_t>(record.preamble_end)], context_at);
  bool found_answer = false;
  for (const auto& span : record.spans) {
    if (span.kind != "answer") continue;
    found_answer = true;
    const auto begin = static_cast<std::size_t>(record.char_begin[static_cast<std::size_t>(span.token_begin)]);
    const auto end = static_cast<std::size_t>(record.char_end[static_cast<std::size_t>(span.token_end - 1)]);
    EXPECT_NE(record.text.substr(begin, end - begin).find(sample.references.answers.at(0).text), std::string::npos);
  }
  EXPECT_TRUE(found_answer);
  for (const auto& layer : record.evicted_at) {
    EXPECT_TRUE(
        std::all_of(layer.begin(), layer.end(), [](std::int32_t value) { return value == report::kNeverEvicted; }));
  }
}

}  // namespace
}  // namespace evomem::eval
