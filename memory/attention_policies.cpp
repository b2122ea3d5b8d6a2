#include "memory/attention_policies.h"

#include <ATen/ATen.h>

#include <limits>

#include "core/error.h"
#include "memory/selection.h"

namespace evomem::memory {
namespace {

void require_attention(const model::AttentionObservation& observation, const char* policy) {
  if (!observation.attention.defined()) {
    throw InternalError(std::string(policy) + " policy needs attention probabilities but the observation has none");
  }
}

}  // namespace

H2OPolicy::H2OPolicy(Budget heavy, Budget recent, std::int64_t update_interval)
    : Policy(update_interval), heavy_(heavy), recent_(recent) {}

std::string H2OPolicy::spec() const {
  return "h2o:heavy=" + heavy_.to_string() + ",recent=" + recent_.to_string() +
         ",interval=" + std::to_string(update_interval());
}

at::Tensor H2OPolicy::accumulated(std::int64_t layer) const {
  if (layer < 0 || layer >= static_cast<std::int64_t>(layers_.size())) return {};
  return layers_[static_cast<std::size_t>(layer)].scores;
}

std::optional<at::Tensor> H2OPolicy::select(const model::AttentionObservation& observation) {
  require_attention(observation, "h2o");
  const auto layer = static_cast<std::size_t>(observation.layer);
  if (layers_.size() <= layer) layers_.resize(layer + 1);
  LayerState& state = layers_[layer];
  const at::Tensor& valid = observation.valid;
  // Column sums: the attention each slot received from the queries of this update.
  at::Tensor scores = observation.attention.sum(2).to(at::kDouble);
  if (state.scores.defined()) {
    scores += carry_by_position(state.scores, state.positions, state.kept, observation.positions, valid).values;
  }
  const at::Tensor counts = count_valid(valid);
  const at::Tensor recent = keep_newest(observation.positions, valid, budget_counts(recent_, counts));
  const at::Tensor heavy = keep_top(scores, valid.logical_and(recent.logical_not()), budget_counts(heavy_, counts));
  at::Tensor keep = recent.logical_or(heavy);
  state.scores = scores;
  state.positions = observation.positions.clone();
  state.kept = keep.logical_and(valid);
  return keep;
}

SnapKVPolicy::SnapKVPolicy(std::int64_t window, std::int64_t kernel, Budget budget, Pooling pooling,
                           std::int64_t update_interval)
    : Policy(update_interval), window_(window), kernel_(kernel), budget_(budget), pooling_(pooling) {
  if (window_ <= 0) throw ConfigError("snapkv policy: window must be positive, got " + std::to_string(window_));
  if (kernel_ <= 0 || kernel_ % 2 == 0) {
    throw ConfigError("snapkv policy: kernel must be a positive odd number (the pooling is centred), got " +
                      std::to_string(kernel_));
  }
}

std::string SnapKVPolicy::spec() const {
  return "snapkv:window=" + std::to_string(window_) + ",kernel=" + std::to_string(kernel_) +
         ",budget=" + budget_.to_string() + ",pooling=" + (pooling_ == Pooling::kAverage ? "avg" : "max") +
         ",interval=" + std::to_string(update_interval());
}

std::optional<at::Tensor> SnapKVPolicy::select(const model::AttentionObservation& observation) {
  require_attention(observation, "snapkv");
  const at::Tensor& valid = observation.valid;
  const at::Tensor& attention = observation.attention;  // [b, h, q, n]
  const auto batch = attention.size(0);
  const auto heads = attention.size(1);
  const auto n = attention.size(3);
  // The observation window: the `window` newest real queries of each sequence.
  const at::Tensor query_positions = observation.query_positions;  // [b, q]
  const at::Tensor newest_query = std::get<0>(query_positions.max(1, /*keepdim=*/true));
  const at::Tensor in_window = query_positions.ge(0).logical_and(query_positions.gt(newest_query - window_));
  const at::Tensor votes =
      (attention * in_window.to(attention.scalar_type()).view({batch, 1, -1, 1})).sum(2).to(at::kDouble);
  at::Tensor pooled;
  if (kernel_ == 1) {
    pooled = votes;
  } else if (pooling_ == Pooling::kAverage) {
    // As the published code: zero padding counted in the average.
    pooled = at::avg_pool1d(votes.view({batch * heads, 1, n}), {kernel_}, {1}, {kernel_ / 2}).view({batch, heads, n});
  } else {
    pooled = at::max_pool1d(votes.view({batch * heads, 1, n}), {kernel_}, {1}, {kernel_ / 2}).view({batch, heads, n});
  }
  const at::Tensor counts = count_valid(valid);
  const at::Tensor window_counts = counts.clamp_max(window_);
  const at::Tensor window = keep_newest(observation.positions, valid, window_counts);
  const at::Tensor prefix_counts = (budget_counts(budget_, counts) - window_counts).clamp_min(0);
  const at::Tensor prefix = keep_top(pooled, valid.logical_and(window.logical_not()), prefix_counts);
  return window.logical_or(prefix);
}

}  // namespace evomem::memory
