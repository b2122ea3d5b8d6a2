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
  const at::Tensor recent = keep_newest(observation.positions, valid, budget_counts(recent_, observation));
  const at::Tensor heavy = keep_top(scores, valid.logical_and(recent.logical_not()),
                                    budget_counts(heavy_, observation));
  at::Tensor keep = recent.logical_or(heavy);
  state.scores = scores;
  state.positions = observation.positions.clone();
  state.kept = keep.logical_and(valid);
  return keep;
}

void SnapKVScoring::validate(const std::string& policy) const {
  if (window <= 0) throw ConfigError(policy + " policy: window must be positive, got " + std::to_string(window));
  if (kernel <= 0 || kernel % 2 == 0) {
    throw ConfigError(policy + " policy: kernel must be a positive odd number (the pooling is centred), got " +
                      std::to_string(kernel));
  }
}

std::string SnapKVScoring::spec_start(const std::string& name, const Budget& budget) const {
  return name + ":window=" + std::to_string(window) + ",kernel=" + std::to_string(kernel) +
         ",budget=" + budget.to_string() + ",pooling=" + (pooling == Pooling::kAverage ? "avg" : "max");
}

at::Tensor SnapKVScoring::scores(const model::AttentionObservation& observation) const {
  const at::Tensor& attention = observation.attention;  // [b, h, q, n]
  const auto batch = attention.size(0);
  const auto heads = attention.size(1);
  const auto n = attention.size(3);
  // The observation window: the `window` newest real queries of each sequence.
  const at::Tensor& query_positions = observation.query_positions;  // [b, q]
  const at::Tensor newest_query = std::get<0>(query_positions.max(1, /*keepdim=*/true));
  const at::Tensor in_window = query_positions.ge(0).logical_and(query_positions.gt(newest_query - window));
  const at::Tensor votes =
      (attention * in_window.to(attention.scalar_type()).view({batch, 1, -1, 1})).sum(2).to(at::kDouble);
  if (kernel == 1) return votes;
  const at::Tensor flat = votes.view({batch * heads, 1, n});
  // As the published code: zero padding counted in the average.
  const at::Tensor pooled = pooling == Pooling::kAverage ? at::avg_pool1d(flat, {kernel}, {1}, {kernel / 2})
                                                         : at::max_pool1d(flat, {kernel}, {1}, {kernel / 2});
  return pooled.view({batch, heads, n});
}

at::Tensor SnapKVScoring::window_mask(const model::AttentionObservation& observation) const {
  const at::Tensor& valid = observation.valid;
  return keep_newest(observation.positions, valid, count_valid(valid).clamp_max(window));
}

namespace {

// SnapKV's selection once each head's total is known: the window, plus the best-scored other
// valid slots up to `counts` [b, h] in all (the window alone when it exceeds the count).
at::Tensor keep_window_and_top(const at::Tensor& scores, const at::Tensor& window, const at::Tensor& valid,
                               const at::Tensor& counts) {
  const at::Tensor others = valid.logical_and(window.logical_not());
  const at::Tensor other_counts = (counts - count_valid(window)).clamp_min(0);
  return window.logical_or(keep_top(scores, others, other_counts));
}

// keep_top over all heads of a layer at once: the `counts[b]` best candidates of row b, heads
// flattened, so ties go to the lower head and then to the lower slot.
at::Tensor keep_top_over_heads(const at::Tensor& scores, const at::Tensor& candidates, const at::Tensor& counts) {
  const auto batch = scores.size(0);
  const at::Tensor flat = keep_top(scores.reshape({batch, 1, -1}), candidates.reshape({batch, 1, -1}),
                                   counts.view({batch, 1}));
  return flat.view(scores.sizes());
}

}  // namespace

SnapKVPolicy::SnapKVPolicy(std::int64_t window, std::int64_t kernel, Budget budget, Pooling pooling,
                           std::int64_t update_interval)
    : Policy(update_interval), scoring_{window, kernel, pooling}, budget_(budget) {
  scoring_.validate("snapkv");
}

std::string SnapKVPolicy::spec() const {
  return scoring_.spec_start("snapkv", budget_) + ",interval=" + std::to_string(update_interval());
}

std::optional<at::Tensor> SnapKVPolicy::select(const model::AttentionObservation& observation) {
  require_attention(observation, "snapkv");
  return keep_window_and_top(scoring_.scores(observation), scoring_.window_mask(observation), observation.valid,
                             budget_counts(budget_, observation));
}

PyramidKVPolicy::PyramidKVPolicy(SnapKVScoring scoring, Budget budget, std::int64_t layers, std::int64_t beta,
                                 std::int64_t update_interval)
    : Policy(update_interval), scoring_(scoring), budget_(budget), layers_(layers), beta_(beta) {
  scoring_.validate("pyramidkv");
  if (layers_ <= 0) throw ConfigError("pyramidkv policy: layers must be positive, got " + std::to_string(layers_));
  // kvpress asserts beta >= 1 (pyramidkv_press.py, get_layer_budget).
  if (beta_ < 1) throw ConfigError("pyramidkv policy: beta must be at least 1, got " + std::to_string(beta_));
}

std::string PyramidKVPolicy::spec() const {
  return scoring_.spec_start("pyramidkv", budget_) + ",layers=" + std::to_string(layers_) +
         ",beta=" + std::to_string(beta_) + ",interval=" + std::to_string(update_interval());
}

at::Tensor PyramidKVPolicy::layer_budgets(std::int64_t layer, const at::Tensor& seen) const {
  const at::Tensor target = budget_tokens(budget_, seen);
  if (layers_ == 1) return target;
  // kvpress PyramidKVPress.get_layer_budget, with its q_len read as the tokens seen and its
  // q_len * (1 - compression_ratio) as our budget in tokens. (min + max) / 2 = budget, so
  // the layers keep `budget` on average; the last layer keeps `min`.
  const at::Tensor n = seen.to(at::kDouble);
  const at::Tensor budget = target.to(at::kDouble);
  const auto window = static_cast<double>(scoring_.window);
  at::Tensor low = budget / static_cast<double>(beta_);
  at::Tensor high = budget * 2 - low;
  // The first layer cannot keep more than the tokens outside the window.
  const at::Tensor capped = high.ge(n - window);
  high = at::where(capped, n - window, high);
  low = at::where(capped, budget * 2 - high, low);
  // A pyramid whose narrowest layer would not hold the window falls back to plain SnapKV.
  const at::Tensor pyramid = n.ge(high).logical_and(high.ge(low)).logical_and(low.ge(window));
  const at::Tensor step = (high - low) / static_cast<double>(layers_ - 1);
  // at::round rounds half to even, as Python's round() in kvpress.
  const at::Tensor shaped = at::round(high - step * static_cast<double>(layer)).to(at::kLong);
  return at::where(pyramid, shaped, target);
}

std::optional<at::Tensor> PyramidKVPolicy::select(const model::AttentionObservation& observation) {
  require_attention(observation, "pyramidkv");
  if (observation.layer < 0 || observation.layer >= layers_) {
    throw ConfigError("pyramidkv policy: observed layer " + std::to_string(observation.layer) +
                      " but layers=" + std::to_string(layers_) + " (set layers to the model's layer count)");
  }
  const at::Tensor& valid = observation.valid;
  const at::Tensor budgets = layer_budgets(observation.layer, seen_tokens(observation.positions, valid));
  const at::Tensor counts = at::minimum(budgets.unsqueeze(1), count_valid(valid));
  return keep_window_and_top(scoring_.scores(observation), scoring_.window_mask(observation), valid, counts);
}

AdaKVPolicy::AdaKVPolicy(SnapKVScoring scoring, Budget budget, double alpha, std::int64_t update_interval)
    : Policy(update_interval), scoring_(scoring), budget_(budget), alpha_(alpha) {
  scoring_.validate("adakv");
  if (!(alpha_ >= 0.0 && alpha_ <= 1.0)) {
    throw ConfigError("adakv policy: alpha must be between 0 and 1, got " + format_number(alpha_));
  }
}

std::string AdaKVPolicy::spec() const {
  return scoring_.spec_start("adakv", budget_) + ",alpha=" + format_number(alpha_) +
         ",interval=" + std::to_string(update_interval());
}

std::optional<at::Tensor> AdaKVPolicy::select(const model::AttentionObservation& observation) {
  require_attention(observation, "adakv");
  const at::Tensor& valid = observation.valid;
  const at::Tensor scores = scoring_.scores(observation);
  const at::Tensor window = scoring_.window_mask(observation);
  const at::Tensor others = valid.logical_and(window.logical_not());
  // Each head's budget outside its window, as SnapKV would spend it, but not capped at the
  // head's own valid slots: a head that has given its tokens to others at earlier updates
  // must not shrink the layer's budget, which is the budget per head times the heads.
  const at::Tensor per_head = budget_tokens(budget_, seen_tokens(observation.positions, valid)).unsqueeze(1);
  const at::Tensor other_budget = (per_head - count_valid(window)).clamp_min(0);
  // The safeguard: AdaKV's floor_capacity = int(base_capacity * floor_alpha), base_capacity
  // being the budget without the window (FFY0/AdaKV snapkv_utils.py, AdaptiveSnapKVCluster).
  // The epsilon keeps exact products (0.2 * 10) from flooring to the token below.
  const at::Tensor floors = at::floor(other_budget.to(at::kDouble) * alpha_ + 1e-9).to(at::kLong);
  const at::Tensor safe = keep_top(scores, others, floors);
  // What the safeguards leave of the layer's budget goes to the best tokens of any head.
  const at::Tensor shared_count = (other_budget - count_valid(safe)).sum(1);
  const at::Tensor shared = keep_top_over_heads(scores, others.logical_and(safe.logical_not()), shared_count);
  return window.logical_or(safe).logical_or_(shared);
}

TOVAPolicy::TOVAPolicy(Budget budget, std::int64_t update_interval) : Policy(update_interval), budget_(budget) {}

std::string TOVAPolicy::spec() const {
  return "tova:budget=" + budget_.to_string() + ",interval=" + std::to_string(update_interval());
}

std::optional<at::Tensor> TOVAPolicy::select(const model::AttentionObservation& observation) {
  require_attention(observation, "tova");
  const at::Tensor& valid = observation.valid;
  const at::Tensor& attention = observation.attention;  // [b, h, q, n]
  const auto batch = attention.size(0);
  const auto heads = attention.size(1);
  const auto n = attention.size(3);
  // The newest query of each row (padding queries are at -1).
  const at::Tensor newest_query = observation.query_positions.argmax(1).view({batch, 1, 1, 1});
  const at::Tensor rows = attention.gather(2, newest_query.expand({batch, heads, 1, n})).squeeze(2);
  // One decision per layer (kvpress TOVAPress.score averages over all heads). The attention is
  // already averaged within each GQA group, so the mean over KV heads is the mean over all
  // query heads. Averaging slot by slot is sound: every head keeps the same tokens and
  // compaction preserves their order, so the heads of a layer share one slot layout.
  at::Tensor scores = rows.mean(1, /*keepdim=*/true).to(at::kDouble).expand({batch, heads, n}).contiguous();
  // The newest token is always kept, inside the budget (kvpress pads it with the top score).
  const at::Tensor valid_counts = count_valid(valid);
  const at::Tensor newest = keep_newest(observation.positions, valid, valid_counts.clamp_max(1));
  scores.masked_fill_(newest, std::numeric_limits<double>::infinity());
  const at::Tensor counts = at::minimum(budget_counts(budget_, observation).clamp_min(1), valid_counts);
  return keep_top(scores, valid, counts);
}

}  // namespace evomem::memory
