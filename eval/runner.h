#pragma once
// The evaluation runner: for a backbone, a memory policy (memory::Policy; none = full cache)
// and a task's samples, build the prompt, prefill and generate greedily with the policy
// pruning the KV cache, and score.
//
// This is the only part of the tasks module that needs LibTorch; it builds as its own
// library (evomem::tasks_runner) so the metrics and readers stay light.

#include <cstdint>
#include <string>
#include <vector>

#include "memory/policy.h"
#include "metrics/metric.h"
#include "model/backbone.h"
#include "model/observation.h"
#include "model/tokenizer.h"
#include "tasks/prompt_builder.h"
#include "tasks/task_samples.h"

namespace evomem::eval {

// Watches the KV cache at the backbone's update points and records how many slots each layer
// keeps (mean over KV heads), per row of the batch. It passes every observation on to `inner`
// (a memory policy) when there is one, and keeps the whole cache otherwise. The counts stay
// on the device until read.
class RetentionMeter : public model::AttentionObserver {
 public:
  RetentionMeter(std::int64_t layers, std::int64_t update_interval, model::AttentionObserver* inner = nullptr);

  std::int64_t update_interval() const override;
  bool needs_attention() const override;
  std::optional<at::Tensor> on_update(const model::AttentionObservation& observation) override;

  void reset();
  // Row `row` of a batch of `rows` (now), per layer: the mean over update points of the
  // slots kept (0 where no update happened). Rows that branched share what was recorded
  // before they did.
  std::vector<double> mean_retained(std::int64_t row = 0, std::int64_t rows = 1) const;
  // Update points seen per layer.
  const std::vector<std::int64_t>& update_counts() const { return counts_; }

 private:
  std::int64_t interval_;
  model::AttentionObserver* inner_;
  std::vector<at::Tensor> sums_;  // per layer, [rows] float64
  std::vector<std::int64_t> counts_;
};

struct RunnerOptions {
  tasks::PromptOptions prompt;
  std::int64_t chunk_size = 512;       // prefill chunk
  std::int64_t update_interval = 512;  // how often the retention meter looks at the cache
  metrics::ScoreOptions score;
};

// What happened on one sample.
struct SampleResult {
  std::string task;
  std::string id;
  std::string prediction;
  double score = 0.0;             // 0..1
  std::size_t prompt_tokens = 0;  // after truncation
  std::size_t untruncated_prompt_tokens = 0;
  bool truncated = false;
  std::size_t new_tokens = 0;
  std::string stop_reason;
  std::int64_t tokens_seen = 0;        // tokens the backbone processed (the last generated one is never fed)
  std::vector<std::int64_t> tokens;    // those tokens: the prompt, then the generated ones fed back
  std::vector<double> retained_mean;   // per layer, mean over update points (final if none)
  std::vector<double> retained_final;  // per layer, at the end (mean over KV heads)
  double prompt_seconds = 0.0;         // tokenize + truncate
  double generate_seconds = 0.0;       // prefill + decode
  double score_seconds = 0.0;
};

// The KV cache kept at the end of a sample as a share of the tokens seen: mean over layers of
// retained_final / tokens_seen (0 when no token was seen).
double retained_fraction(const SampleResult& result);

// A task and the samples to run it on.
struct TaskRun {
  const tasks::TaskSpec* task;
  std::vector<tasks::EvalSample> samples;
};

class Runner {
 public:
  // The backbone and tokenizer must outlive the runner.
  Runner(model::Backbone& backbone, const model::Tokenizer& tokenizer, RunnerOptions options);

  // `policy` (may be null: keep the whole cache) is reset before the sample.
  SampleResult run(const tasks::TaskSpec& task, const tasks::EvalSample& sample, memory::Policy* policy = nullptr);
  // The sample under every variant of `policy` (policy->branches() of them: genomes, grouped
  // policies) in one batch: the prompt is prefilled once up to the first update point, then
  // each variant runs in its own row. One result per variant, in order; the timings are the
  // batch's divided among them.
  std::vector<SampleResult> run_branches(const tasks::TaskSpec& task, const tasks::EvalSample& sample,
                                         memory::Policy* policy);

 private:
  model::Backbone& backbone_;
  const model::Tokenizer& tokenizer_;
  RunnerOptions options_;
  bool warned_past_positions_ = false;  // said once per runner: a sample runs past max_position_embeddings
};

}  // namespace evomem::eval
