#include "eval/runner.h"

#include <ATen/ATen.h>

#include <algorithm>
#include <chrono>

#include "core/error.h"
#include "core/logging.h"
#include "model/generation.h"

namespace evomem::eval {
namespace {

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// Slots kept per KV head of every row, averaged over heads: [rows] float64.
at::Tensor mean_kept(const at::Tensor& keep) { return keep.sum(-1).to(at::kDouble).mean(-1); }

// Row `row` of `rows` in a tensor of per-row values whose rows branched into `rows` (or did not).
double value_of_row(const at::Tensor& per_row, std::int64_t row, std::int64_t rows) {
  return per_row[row / (rows / per_row.size(0))].item<double>();
}

}  // namespace

RetentionMeter::RetentionMeter(std::int64_t layers, std::int64_t update_interval, model::AttentionObserver* inner)
    : interval_(update_interval),
      inner_(inner),
      sums_(static_cast<std::size_t>(layers)),
      counts_(static_cast<std::size_t>(layers), 0) {}

std::int64_t RetentionMeter::update_interval() const {
  return inner_ != nullptr ? inner_->update_interval() : interval_;
}

bool RetentionMeter::needs_attention() const { return inner_ != nullptr && inner_->needs_attention(); }

std::optional<at::Tensor> RetentionMeter::on_update(const model::AttentionObservation& observation) {
  std::optional<at::Tensor> keep;
  if (inner_ != nullptr) keep = inner_->on_update(observation);
  // A branching keep mask has more rows than the observation: validity broadcasts.
  const at::Tensor kept = mean_kept(keep ? at::logical_and(*keep, observation.valid) : observation.valid);
  const auto layer = static_cast<std::size_t>(observation.layer);
  if (layer < sums_.size()) {
    at::Tensor& sum = sums_[layer];
    if (!sum.defined()) {
      sum = kept;
    } else {
      if (sum.size(0) != kept.size(0)) sum = sum.repeat_interleave(kept.size(0) / sum.size(0), 0);
      sum = sum + kept;
    }
    ++counts_[layer];
  }
  return keep;
}

void RetentionMeter::reset() {
  std::fill(sums_.begin(), sums_.end(), at::Tensor());
  std::fill(counts_.begin(), counts_.end(), 0);
}

std::vector<double> RetentionMeter::mean_retained(std::int64_t row, std::int64_t rows) const {
  std::vector<double> means(sums_.size(), 0.0);
  for (std::size_t layer = 0; layer < sums_.size(); ++layer) {
    if (counts_[layer] > 0) means[layer] = value_of_row(sums_[layer], row, rows) / static_cast<double>(counts_[layer]);
  }
  return means;
}

Runner::Runner(model::Backbone& backbone, const model::Tokenizer& tokenizer, RunnerOptions options)
    : backbone_(backbone), tokenizer_(tokenizer), options_(std::move(options)) {}

SampleResult Runner::run(const tasks::TaskSpec& task, const tasks::EvalSample& sample, memory::Policy* policy) {
  EVOMEM_CHECK(policy == nullptr || policy->branches() == 1, "Runner::run: a branching policy needs run_branches");
  return run_branches(task, sample, policy).front();
}

std::vector<SampleResult> Runner::run_branches(const tasks::TaskSpec& task, const tasks::EvalSample& sample,
                                               memory::Policy* policy) {
  const std::int64_t rows = policy != nullptr ? policy->branches() : 1;
  SampleResult shared;
  shared.task = task.name;
  shared.id = sample.id;

  auto start = std::chrono::steady_clock::now();
  tasks::TokenizerFunctions functions;
  functions.encode = [this](std::string_view text) { return tokenizer_.encode(text, false); };
  functions.bos_id = tokenizer_.bos_token_id();
  // Without tokenizer_config.json the BOS is whatever the post-processor puts first.
  if (!functions.bos_id && tokenizer_.prefix_ids().size() == 1) functions.bos_id = tokenizer_.prefix_ids().front();
  const tasks::Prompt prompt = tasks::build_prompt(task, sample.fields, functions, options_.prompt, sample.where);
  shared.prompt_tokens = prompt.tokens.size();
  shared.untruncated_prompt_tokens = prompt.untruncated_tokens;
  shared.truncated = prompt.truncated;
  shared.prompt_seconds = seconds_since(start) / static_cast<double>(rows);
  const auto limit = backbone_.config().max_position_embeddings;
  const auto longest = static_cast<std::int64_t>(prompt.tokens.size()) + task.max_new_tokens;
  if (!warned_past_positions_ && limit > 0 && longest > limit) {
    // Allowed (length extrapolation is a question people study), but never silently.
    warned_past_positions_ = true;
    core::log::warn("{} sample {}: {} prompt tokens + up to {} answer tokens run past the backbone's "
                    "max_position_embeddings ({}); positions beyond it were never trained (lower --context-window "
                    "to stay within it)",
                    task.name, sample.id, prompt.tokens.size(), task.max_new_tokens, limit);
  }

  start = std::chrono::steady_clock::now();
  const std::int64_t layers = backbone_.config().num_hidden_layers;
  if (policy != nullptr) policy->reset();
  RetentionMeter meter(layers, options_.update_interval, policy);
  model::GenerationOptions generation;
  generation.max_new_tokens = task.max_new_tokens;
  generation.chunk_size = options_.chunk_size;
  generation.stop_strings = task.stop_strings;
  // LongBench's pred.py decodes with skip_special_tokens=True.
  generation.decode = [this](const std::vector<std::int64_t>& ids) {
    model::DecodeOptions decode_options;
    decode_options.skip_special_tokens = true;
    return tokenizer_.decode(ids, decode_options);
  };
  generation.observer = &meter;
  // What the backbone held when each row stopped (the batch may go on decoding after that).
  struct RowEnd {
    std::int64_t tokens_seen = 0;
    std::vector<double> retained_final;
    std::vector<double> retained_mean;
  };
  std::vector<RowEnd> ends;
  generation.on_finished = [&](std::int64_t row) {
    const std::int64_t batch = backbone_.batch_size();
    ends.resize(static_cast<std::size_t>(batch));
    RowEnd& end = ends[static_cast<std::size_t>(row)];
    end.tokens_seen = backbone_.tokens_seen();
    end.retained_mean = meter.mean_retained(row, batch);
    for (std::int64_t layer = 0; layer < layers; ++layer) {
      end.retained_final.push_back(mean_kept(backbone_.cache().valid(layer).narrow(0, row, 1))[0].item<double>());
      // A prompt shorter than one update interval never reaches an update point.
      if (meter.update_counts()[static_cast<std::size_t>(layer)] == 0) {
        end.retained_mean[static_cast<std::size_t>(layer)] = end.retained_final.back();
      }
    }
  };
  // A sequence that never reached an update point never branched: one result serves all.
  const auto generated = model::generate(backbone_, {prompt.tokens}, generation);
  const double generate_seconds = seconds_since(start) / static_cast<double>(rows);

  std::vector<SampleResult> results;
  for (std::int64_t row = 0; row < rows; ++row) {
    const std::size_t index = generated.size() == 1 ? 0 : static_cast<std::size_t>(row);
    const auto& output = generated.at(index);
    const RowEnd& end = ends.at(index);
    SampleResult result = shared;
    result.prediction = output.text;
    result.new_tokens = output.tokens.size();
    result.stop_reason = model::stop_reason_name(output.stop_reason);
    result.tokens_seen = end.tokens_seen;
    result.tokens = prompt.tokens;
    const auto seen = static_cast<std::size_t>(std::max<std::int64_t>(result.tokens_seen, 0));
    const std::size_t fed = std::min(seen > prompt.tokens.size() ? seen - prompt.tokens.size() : 0,
                                     output.tokens.size());
    result.tokens.insert(result.tokens.end(), output.tokens.begin(),
                         output.tokens.begin() + static_cast<std::ptrdiff_t>(fed));
    result.retained_mean = end.retained_mean;
    result.retained_final = end.retained_final;
    result.generate_seconds = generate_seconds;
    start = std::chrono::steady_clock::now();
    result.score = metrics::score_prediction(task.metric, result.prediction, sample.references, task.first_line_only,
                                             options_.score);
    result.score_seconds = seconds_since(start);
    results.push_back(std::move(result));
  }
  return results;
}

double retained_fraction(const SampleResult& result) {
  if (result.tokens_seen <= 0 || result.retained_final.empty()) return 0.0;
  double kept = 0.0;
  for (const double slots : result.retained_final) kept += slots;
  return kept / static_cast<double>(result.retained_final.size()) / static_cast<double>(result.tokens_seen);
}

}  // namespace evomem::eval
