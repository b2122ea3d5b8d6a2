#include "eval/runner.h"

#include <ATen/ATen.h>

#include <algorithm>
#include <chrono>

#include "model/generation.h"

namespace evomem::eval {
namespace {

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// Slots kept per KV head of the first sequence, averaged over heads.
double mean_kept(const at::Tensor& keep) { return keep.select(0, 0).sum(-1).to(at::kDouble).mean().item<double>(); }

}  // namespace

RetentionMeter::RetentionMeter(std::int64_t layers, std::int64_t update_interval, model::AttentionObserver* inner)
    : interval_(update_interval),
      inner_(inner),
      sums_(static_cast<std::size_t>(layers), 0.0),
      counts_(static_cast<std::size_t>(layers), 0) {}

std::int64_t RetentionMeter::update_interval() const {
  return inner_ != nullptr ? inner_->update_interval() : interval_;
}

bool RetentionMeter::needs_attention() const { return inner_ != nullptr && inner_->needs_attention(); }

std::optional<at::Tensor> RetentionMeter::on_update(const model::AttentionObservation& observation) {
  std::optional<at::Tensor> keep;
  if (inner_ != nullptr) keep = inner_->on_update(observation);
  const at::Tensor kept = keep ? at::logical_and(*keep, observation.valid) : observation.valid;
  const auto layer = static_cast<std::size_t>(observation.layer);
  if (layer < sums_.size()) {
    sums_[layer] += mean_kept(kept);
    ++counts_[layer];
  }
  return keep;
}

void RetentionMeter::reset() {
  std::fill(sums_.begin(), sums_.end(), 0.0);
  std::fill(counts_.begin(), counts_.end(), 0);
}

std::vector<double> RetentionMeter::mean_retained() const {
  std::vector<double> means(sums_.size(), 0.0);
  for (std::size_t i = 0; i < sums_.size(); ++i) {
    if (counts_[i] > 0) means[i] = sums_[i] / static_cast<double>(counts_[i]);
  }
  return means;
}

Runner::Runner(model::Backbone& backbone, const model::Tokenizer& tokenizer, RunnerOptions options)
    : backbone_(backbone), tokenizer_(tokenizer), options_(std::move(options)) {}

SampleResult Runner::run(const tasks::TaskSpec& task, const tasks::EvalSample& sample, memory::Policy* policy) {
  SampleResult result;
  result.task = task.name;
  result.id = sample.id;

  auto start = std::chrono::steady_clock::now();
  tasks::TokenizerFunctions functions;
  functions.encode = [this](std::string_view text) { return tokenizer_.encode(text, false); };
  functions.bos_id = tokenizer_.bos_token_id();
  // Without tokenizer_config.json the BOS is whatever the post-processor puts first.
  if (!functions.bos_id && tokenizer_.prefix_ids().size() == 1) functions.bos_id = tokenizer_.prefix_ids().front();
  const tasks::Prompt prompt = tasks::build_prompt(task, sample.fields, functions, options_.prompt, sample.where);
  result.prompt_tokens = prompt.tokens.size();
  result.untruncated_prompt_tokens = prompt.untruncated_tokens;
  result.truncated = prompt.truncated;
  result.prompt_seconds = seconds_since(start);

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
  const auto generated = model::generate(backbone_, {prompt.tokens}, generation);
  result.prediction = generated.front().text;
  result.new_tokens = generated.front().tokens.size();
  result.stop_reason = model::stop_reason_name(generated.front().stop_reason);
  result.tokens_seen = backbone_.tokens_seen();
  result.tokens = prompt.tokens;
  const auto& new_tokens = generated.front().tokens;
  const auto seen = static_cast<std::size_t>(std::max<std::int64_t>(result.tokens_seen, 0));
  const std::size_t fed = std::min(seen > prompt.tokens.size() ? seen - prompt.tokens.size() : 0, new_tokens.size());
  result.tokens.insert(result.tokens.end(), new_tokens.begin(), new_tokens.begin() + static_cast<std::ptrdiff_t>(fed));
  result.retained_mean = meter.mean_retained();
  for (std::int64_t layer = 0; layer < layers; ++layer) {
    result.retained_final.push_back(mean_kept(backbone_.cache().valid(layer)));
    // A prompt shorter than one update interval never reaches an update point.
    if (meter.update_counts()[static_cast<std::size_t>(layer)] == 0) {
      result.retained_mean[static_cast<std::size_t>(layer)] = result.retained_final.back();
    }
  }
  result.generate_seconds = seconds_since(start);

  start = std::chrono::steady_clock::now();
  result.score = metrics::score_prediction(task.metric, result.prediction, sample.references, task.first_line_only,
                                           options_.score);
  result.score_seconds = seconds_since(start);
  return result;
}

double retained_fraction(const SampleResult& result) {
  if (result.tokens_seen <= 0 || result.retained_final.empty()) return 0.0;
  double kept = 0.0;
  for (const double slots : result.retained_final) kept += slots;
  return kept / static_cast<double>(result.retained_final.size()) / static_cast<double>(result.tokens_seen);
}

}  // namespace evomem::eval
