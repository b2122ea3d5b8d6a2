#include "model/backbone.h"

#include <ATen/ATen.h>
#include <c10/core/InferenceMode.h>

#include <cmath>

#include "core/error.h"
#include "model/attention.h"
#include "model/cpu_half.h"
#include "model/cpu_kernels.h"

namespace evomem::model {

Backbone::Backbone(LlamaConfig config, LlamaWeights weights, c10::Device device)
    : config_(std::move(config)), weights_(std::move(weights)), device_(device), rope_(config_, device) {
  reset(1);
}

Backbone Backbone::load(const std::filesystem::path& checkpoint_dir, const LoadOptions& options) {
  LlamaConfig config = load_config(checkpoint_dir);
  LlamaWeights weights = load_weights(checkpoint_dir, config, options);
  return Backbone(std::move(config), std::move(weights), options.device);
}

void Backbone::reset(std::int64_t batch_size) {
  if (batch_size <= 0) throw InputError("batch size must be positive, got " + std::to_string(batch_size));
  cache_ = KvCache(config_, batch_size, device_, dtype());
  pending_rows_.assign(static_cast<std::size_t>(config_.num_hidden_layers), AttentionRowBuffer());
  next_positions_ = at::zeros({batch_size}, at::TensorOptions().dtype(at::kLong));
  tokens_seen_ = 0;
}

at::Tensor Backbone::rms_norm(const at::Tensor& x, const at::Tensor& weight) const {
  if (takes_cpu_kernels(x) && takes_cpu_kernels(weight)) return fused_rms_norm(x, weight, config_.rms_norm_eps);
  // transformers normalises in float32 and casts back before applying the weight.
  const at::Tensor x32 = x.to(at::kFloat);
  const at::Tensor normalised = x32 * at::rsqrt(x32.pow(2).mean({-1}, true) + config_.rms_norm_eps);
  return weight * normalised.to(x.scalar_type());
}

at::Tensor Backbone::prefill(const at::Tensor& tokens, const PrefillOptions& options) {
  c10::InferenceMode inference_mode;
  if (tokens.dim() != 2 || tokens.size(0) != batch_size()) {
    throw InputError("prefill: tokens must be [batch=" + std::to_string(batch_size()) + ", n], got " +
                     c10::str(tokens.sizes()) + " (call reset(batch) first)");
  }
  if (options.token_valid.defined() && options.token_valid.sizes() != tokens.sizes()) {
    throw InputError("prefill: token_valid must have the shape of tokens");
  }
  const std::int64_t total = tokens.size(1);
  if (total == 0) throw InputError("prefill: no tokens");
  const std::int64_t chunk = options.chunk_size > 0 ? options.chunk_size : total;
  const std::int64_t interval = options.observer ? options.observer->update_interval() : 0;
  if (options.observer && interval <= 0) throw InputError("observer update_interval must be positive");

  std::vector<at::Tensor> logits;
  at::Tensor last_logits;
  at::Tensor rows_tokens = tokens;
  at::Tensor rows_valid = options.token_valid;
  std::int64_t start = 0;
  while (start < total) {
    std::int64_t count = std::min(chunk, total - start);
    // Update points must fall on step ends, so a chunk never crosses one.
    if (interval > 0) count = std::min(count, interval - tokens_seen_ % interval);
    const at::Tensor step_tokens = rows_tokens.narrow(1, start, count);
    const at::Tensor step_valid = rows_valid.defined() ? rows_valid.narrow(1, start, count) : at::Tensor();
    at::Tensor step_logits = forward_step(step_tokens, step_valid, options.observer, options.all_logits);
    if (step_logits.size(0) != rows_tokens.size(0)) {
      // The observer branched the sequences: the rest of the prompt (and the logits so far)
      // belong to every copy.
      const std::int64_t times = step_logits.size(0) / rows_tokens.size(0);
      rows_tokens = rows_tokens.repeat_interleave(times, 0);
      if (rows_valid.defined()) rows_valid = rows_valid.repeat_interleave(times, 0);
      for (at::Tensor& earlier : logits) earlier = earlier.repeat_interleave(times, 0);
    }
    if (options.all_logits) {
      logits.push_back(step_logits);
    } else {
      last_logits = step_logits;
    }
    start += count;
  }
  if (options.all_logits) return logits.size() == 1 ? logits.front() : at::cat(logits, 1);
  return last_logits.select(1, 0);
}

at::Tensor Backbone::decode_step(const at::Tensor& tokens, AttentionObserver* observer) {
  c10::InferenceMode inference_mode;
  if (tokens.dim() != 1 || tokens.size(0) != batch_size()) {
    throw InputError("decode_step: tokens must be [batch=" + std::to_string(batch_size()) + "], got " +
                     c10::str(tokens.sizes()));
  }
  if (observer && observer->update_interval() <= 0) throw InputError("observer update_interval must be positive");
  return forward_step(tokens.unsqueeze(1), at::Tensor(), observer, false).select(1, 0);
}

Backbone::StepTokens Backbone::step_tokens(const at::Tensor& tokens_in, const at::Tensor& token_valid_in) {
  // Ids, validity and positions are worked out on the host (the tokens come from there), so
  // a step needs no device-to-host read; only the results are copied to the device.
  const at::Tensor tokens = tokens_in.to(at::kCPU, at::kLong).contiguous();
  const std::int64_t count = tokens.size(1);
  // A plain loop: two reductions and their reads cost more than the check on a decode step.
  const std::int64_t* ids = tokens.data_ptr<std::int64_t>();
  for (std::int64_t i = 0; i < tokens.numel(); ++i) {
    if (ids[i] < 0 || ids[i] >= config_.vocab_size) {
      throw InputError("token id " + std::to_string(ids[i]) + " is outside the vocabulary (size " +
                       std::to_string(config_.vocab_size) + ")");
    }
  }
  at::Tensor token_valid = token_valid_in.defined() ? token_valid_in.to(at::kCPU, at::kBool) : at::Tensor();
  if (token_valid.defined() && token_valid.all().item<bool>()) token_valid = at::Tensor();

  // Positions count real tokens only, so a left-padded prompt starts at position 0.
  at::Tensor positions;
  at::Tensor query_positions;
  if (token_valid.defined()) {
    const at::Tensor steps = token_valid.to(at::kLong).cumsum(1);
    positions = (next_positions_.unsqueeze(1) + steps - 1).clamp_min(0);
    query_positions = positions.masked_fill(at::logical_not(token_valid), -1);
    next_positions_ = next_positions_ + steps.select(1, count - 1);
  } else {
    positions = next_positions_.unsqueeze(1) + at::arange(count, at::kLong);
    query_positions = positions;
    next_positions_ = next_positions_ + count;
  }
  StepTokens step;
  step.sequence_length = positions.max().item<std::int64_t>() + 1;
  step.tokens = tokens.to(device_);
  if (token_valid.defined()) step.token_valid = token_valid.to(device_);
  step.positions = positions.to(device_);
  step.query_positions = query_positions.to(device_);
  return step;
}

// The one place where a memory policy changes the cache: the layer's attention rows are
// collected at every step, and at an update point the observer sees them (with the cache's
// positions, key norms and validity) and may return the slots each KV head keeps.
void Backbone::observe_and_evict(std::int64_t layer, const at::Tensor& group_probs, const StepTokens& step,
                                 AttentionObserver& observer, bool update_point, bool want_probs) {
  const std::int64_t batch = step.tokens.size(0);
  const std::int64_t count = step.tokens.size(1);
  const std::int64_t kv_heads = config_.num_key_value_heads;
  AttentionRowBuffer& rows = pending_rows_[static_cast<std::size_t>(layer)];
  at::Tensor probs = group_probs;
  // Padding queries carry no information; their rows are zeroed.
  if (probs.defined() && step.token_valid.defined()) {
    probs.masked_fill_(at::logical_not(step.token_valid).view({batch, 1, count, 1}), 0.0);
  }
  rows.add(probs, step.query_positions);
  if (!update_point) return;
  AttentionObservation observation;
  observation.layer = layer;
  observation.tokens_seen = tokens_seen_;
  const std::int64_t n_slots = cache_.length(layer);
  if (want_probs) observation.attention = rows.take_rows(n_slots);
  observation.query_positions = rows.take_query_positions();
  observation.positions = cache_.positions(layer);
  observation.key_norms = cache_.key_norms(layer);
  observation.valid = cache_.valid(layer);
  const std::optional<at::Tensor> keep = observer.on_update(observation);
  if (!keep) return;
  if (keep->dim() != 3 || keep->size(1) != kv_heads || keep->size(2) != n_slots || keep->size(0) < batch ||
      keep->scalar_type() != at::kBool) {
    throw InternalError("observer returned a keep mask of shape " + c10::str(keep->sizes()) + " and type " +
                        c10::toString(keep->scalar_type()) + "; expected bool [" + std::to_string(batch) +
                        " (or a multiple), " + std::to_string(kv_heads) + ", " + std::to_string(n_slots) + "]");
  }
  if (keep->size(0) != batch) {
    // The observer branches every sequence into keep->size(0) / batch rows: the cache rows
    // computed once so far are repeated, then each copy evicts on its own.
    if (keep->size(0) % batch != 0) {
      throw InternalError("observer returned a keep mask for " + std::to_string(keep->size(0)) +
                          " rows, not a multiple of the batch of " + std::to_string(batch));
    }
    cache_.repeat_rows(layer, keep->size(0) / batch);
  }
  // Compaction waits for the layer's next append (KvCache::compact).
  cache_.evict(layer, *keep, /*compact=*/false);
}

at::Tensor Backbone::forward_step(const at::Tensor& tokens_in, const at::Tensor& token_valid_in,
                                  AttentionObserver* observer, bool all_logits) {
  const StepTokens step = step_tokens(tokens_in, token_valid_in);
  const std::int64_t batch = step.tokens.size(0);
  const std::int64_t count = step.tokens.size(1);
  const c10::ScalarType dtype = this->dtype();
  const auto [cos, sin] = rope_.cos_sin(step.positions, step.sequence_length, dtype);

  const std::int64_t interval = observer ? observer->update_interval() : 0;
  tokens_seen_ += count;
  const bool update_point = interval > 0 && tokens_seen_ % interval == 0;
  const bool want_probs = observer && observer->needs_attention();

  const std::int64_t heads = config_.num_attention_heads;
  const std::int64_t kv_heads = config_.num_key_value_heads;
  const std::int64_t head_dim = config_.head_dim;
  const double scale = 1.0 / std::sqrt(static_cast<double>(head_dim));

  at::Tensor hidden = at::embedding(weights_.embed_tokens, step.tokens);
  for (std::int64_t layer = 0; layer < config_.num_hidden_layers; ++layer) {
    const LayerWeights& w = weights_.layers[static_cast<std::size_t>(layer)];
    const at::Tensor normed = rms_norm(hidden, w.input_norm);
    const at::Tensor qkv = model::linear(normed, w.qkv_proj);
    const at::Tensor q = qkv.narrow(-1, 0, heads * head_dim).view({batch, count, heads, head_dim}).transpose(1, 2);
    const at::Tensor k =
        qkv.narrow(-1, heads * head_dim, kv_heads * head_dim).view({batch, count, kv_heads, head_dim}).transpose(1, 2);
    const at::Tensor v = qkv.narrow(-1, (heads + kv_heads) * head_dim, kv_heads * head_dim)
                             .view({batch, count, kv_heads, head_dim})
                             .transpose(1, 2);
    const at::Tensor q_rot = apply_rope(q, cos, sin);
    const at::Tensor k_rot = apply_rope(k, cos, sin);
    const std::int64_t first_slot = cache_.append(layer, k_rot, v, step.positions, step.token_valid);

    AttentionInputs inputs;
    inputs.queries = q_rot;
    inputs.keys = cache_.keys(layer);
    inputs.values = cache_.values(layer);
    if (!cache_.all_valid(layer)) inputs.valid = cache_.valid(layer);
    inputs.first_query_slot = first_slot;
    inputs.scale = scale;
    // Rows keeping different numbers of tokens attend over their own windows (kv_cache.h).
    AttentionResult attention = windowed_attention(inputs, cache_.row_starts(layer), want_probs);
    if (observer) observe_and_evict(layer, attention.group_probs, step, *observer, update_point, want_probs);

    hidden.add_(model::linear(attention.output, w.o_proj));
    const at::Tensor gate_up = model::linear(rms_norm(hidden, w.post_norm), w.gate_up_proj);
    const std::int64_t intermediate = config_.intermediate_size;
    const at::Tensor activated = takes_cpu_kernels(gate_up) ? fused_swiglu(gate_up)
                                                            : model::silu(gate_up.narrow(-1, 0, intermediate)) *
                                                                  gate_up.narrow(-1, intermediate, intermediate);
    hidden.add_(model::linear(activated, w.down_proj));
  }
  // Only the positions whose logits are wanted go through the (large) vocabulary projection.
  const at::Tensor selected = all_logits ? hidden : hidden.narrow(1, count - 1, 1);
  const at::Tensor logits = model::linear(rms_norm(selected, weights_.final_norm), weights_.lm_head).to(at::kFloat);
  const std::int64_t rows = cache_.batch_size();
  if (rows == batch) return logits;
  // The observer branched the sequences at this step: every layer must have done so alike.
  for (std::int64_t layer = 1; layer < config_.num_hidden_layers; ++layer) {
    if (cache_.batch_size(layer) != rows) {
      throw InternalError("observer branched layer 0 into " + std::to_string(rows) + " rows but layer " +
                          std::to_string(layer) + " into " + std::to_string(cache_.batch_size(layer)));
    }
  }
  const std::int64_t times = rows / batch;
  next_positions_ = next_positions_.repeat_interleave(times, 0);
  return logits.repeat_interleave(times, 0);
}

}  // namespace evomem::model
