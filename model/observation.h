#pragma once
// The seam between the backbone and memory policies.
//
// Contract (see docs/model.md):
// - The backbone counts the tokens it has processed for the current sequences (prompt and
//   generated, padding included). Whenever that count reaches a multiple of
//   `update_interval()`, it calls `on_update` once per layer, in layer order, right after the
//   layer's attention for the current step; prefill chunks are split so that update points
//   fall on chunk ends.
// - The observation holds, for the queries since the previous update of that layer (at most
//   update_interval of them), their attention probabilities over every slot currently in the
//   layer's cache, averaged over the query heads of each GQA group. Rows computed before
//   later slots existed are zero for those slots. Nothing is passed between updates, and the
//   probabilities are only computed at all when `needs_attention()` is true; otherwise the
//   backbone stays on its fast attention path and `attention` is undefined.
// - The observer returns either nothing (keep everything) or a bool keep mask
//   [batch, kv_heads, n_slots]; the cache invalidates the slots whose entry is false (padding
//   slots stay invalid whatever the mask says) and compacts the layer before its next append.
//   Kept keys keep their original RoPE positions.
// - Branching: the mask may cover k * batch rows instead of batch (k >= 2). The backbone then
//   repeats each sequence's cache rows k times (row r becomes rows r * k .. r * k + k - 1)
//   before evicting, so k variants (genomes, policies) share everything computed before this
//   update point. Every layer of the step must branch alike; from then on the batch is
//   k * batch (logits, observations and generation results included).
// Tensors are on the backbone's device; the observer must not keep references to them
// across calls (the cache reuses its storage).

#include <ATen/core/Tensor.h>

#include <cstdint>
#include <functional>
#include <optional>
#include <vector>

namespace evomem::model {

// What a memory policy sees of one layer at an update point.
struct AttentionObservation {
  std::int64_t layer = 0;
  std::int64_t tokens_seen = 0;  // tokens processed so far, this update included
  at::Tensor attention;          // [batch, kv_heads, n_queries, n_slots] float32 (undefined
                                 // unless needs_attention())
  at::Tensor query_positions;    // [batch, n_queries] int64; -1 for padding queries
  at::Tensor positions;          // [batch, kv_heads, n_slots] int64 original token positions
  at::Tensor key_norms;          // [batch, kv_heads, n_slots] float32 L2 norms of the keys
  at::Tensor valid;              // [batch, kv_heads, n_slots] bool (false: padding or evicted)
};

// The observation with `transform` applied to each of its per-row tensors (attention, query
// positions, positions, key norms, validity; undefined ones stay undefined).
AttentionObservation map_rows(const AttentionObservation& observation,
                              const std::function<at::Tensor(const at::Tensor&)>& transform);
// The observation with every row repeated `times` times (row r becomes rows r * times ..
// r * times + times - 1), as the rows of a branching update will be.
AttentionObservation repeat_rows(const AttentionObservation& observation, std::int64_t times);

// Implemented by memory policies (module memory); called by the backbone.
class AttentionObserver {
 public:
  virtual ~AttentionObserver() = default;
  // Tokens between update points (512 in the published NAMM). Must be positive.
  virtual std::int64_t update_interval() const = 0;
  // Whether observations need attention probabilities (forces the slower attention path
  // that materialises them for every query between updates).
  virtual bool needs_attention() const { return true; }
  // Returns the slots each KV head keeps, or nullopt to keep all of them.
  virtual std::optional<at::Tensor> on_update(const AttentionObservation& observation) = 0;
};

// Collects the attention rows of one layer between update points (used by the backbone).
class AttentionRowBuffer {
 public:
  // rows [batch, kv_heads, n, n_slots_at_that_time] float32; query_positions [batch, n].
  void add(const at::Tensor& rows, const at::Tensor& query_positions);
  // [batch, kv_heads, total_rows, n_slots] with later slots zero-padded; clears the buffer.
  at::Tensor take_rows(std::int64_t n_slots);
  // [batch, total_rows]; clears the positions (call with take_rows).
  at::Tensor take_query_positions();
  void clear();

 private:
  std::vector<at::Tensor> rows_;
  std::vector<at::Tensor> query_positions_;
};

}  // namespace evomem::model
