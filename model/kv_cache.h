#pragma once
// The key/value cache of a batch of sequences, per layer and per KV head.
//
// Layout ("padding + mask"): each layer stores keys and values as [batch, kv_heads, capacity,
// head_dim] with a slot validity mask and the original token position of every slot. All
// heads of a layer share one slot count (`length`); a head that keeps fewer tokens than
// another carries invalid padding slots, which attention masks out. Keys are stored after
// RoPE, so an evicted-and-compacted cache still attends with every key's original position.
// Compaction moves each head's valid slots to the front (order preserved) and shrinks
// `length` to the largest per-head count; its cost is one gather per layer (docs/model.md).
// It runs on demand: an eviction only clears validity (no host synchronisation), and the
// layer is compacted before its next append, with one small device-to-host read.
//
// Rows of the batch may be repeated (`repeat_rows`): a sequence whose prefix is shared by
// several variants (genomes, policies) is computed once and branches into one row per
// variant; between the first and the last layer of that step the layers' batch sizes differ.
//
// Row windows: when rows keep different numbers of tokens, compaction puts each row's slots
// at the end of the shared length (row r starts at `row_starts(layer)[r]`, the slots before
// are invalid), so that a row's slots, and the tokens appended after them, are contiguous and
// laid out exactly as they would be if the row were alone. Attention can then run each row
// over its own window: no work on other rows' padding, and the products of a row alone.

#include <ATen/core/Tensor.h>
#include <c10/core/Device.h>
#include <c10/core/ScalarType.h>

#include <cstdint>
#include <vector>

#include "model/config.h"

namespace evomem::model {

class KvCache {
 public:
  KvCache() = default;
  KvCache(const LlamaConfig& config, std::int64_t batch_size, c10::Device device, c10::ScalarType dtype,
          std::int64_t initial_capacity = 256);

  std::int64_t num_layers() const { return static_cast<std::int64_t>(layers_.size()); }
  // Rows of the batch (of layer 0; every layer agrees outside a branching step).
  std::int64_t batch_size() const { return batch_size(0); }
  std::int64_t batch_size(std::int64_t layer) const { return layers_.at(static_cast<std::size_t>(layer)).batch; }
  std::int64_t kv_heads() const { return kv_heads_; }

  // Appends `n` tokens to `layer`: keys/values [batch, kv_heads, n, head_dim] (post-RoPE),
  // positions [batch, n] int64, token_valid [batch, n] bool (undefined = all valid; false for
  // left padding; when given, the layer is treated as holding padding). Compacts the layer
  // first if an eviction is pending. Returns the slot index of the first new token.
  std::int64_t append(std::int64_t layer, const at::Tensor& keys, const at::Tensor& values, const at::Tensor& positions,
                      const at::Tensor& token_valid);

  // Slots in use (valid or padding) in `layer`; the views below cover exactly these.
  std::int64_t length(std::int64_t layer) const { return layers_.at(static_cast<std::size_t>(layer)).length; }
  at::Tensor keys(std::int64_t layer) const;       // [batch, kv_heads, length, head_dim]
  at::Tensor values(std::int64_t layer) const;     // [batch, kv_heads, length, head_dim]
  at::Tensor positions(std::int64_t layer) const;  // [batch, kv_heads, length] int64
  at::Tensor valid(std::int64_t layer) const;      // [batch, kv_heads, length] bool
  // L2 norm of every slot's key, [batch, kv_heads, length] float32.
  at::Tensor key_norms(std::int64_t layer) const;
  // True when no slot of `layer` is invalid, so attention can skip the validity mask.
  bool all_valid(std::int64_t layer) const { return layers_.at(static_cast<std::size_t>(layer)).all_valid; }
  // Valid slots per head, [batch, kv_heads] int64.
  at::Tensor valid_counts(std::int64_t layer) const;
  // First slot of each row's window (empty: every row starts at slot 0).
  const std::vector<std::int64_t>& row_starts(std::int64_t layer) const {
    return layers_.at(static_cast<std::size_t>(layer)).row_starts;
  }

  // Invalidates every slot whose entry in keep_mask [batch, kv_heads, length] (bool) is
  // false. Invalid slots stay invalid. The layer is compacted now when `compact` is set,
  // otherwise before its next append (or an explicit compact()).
  void evict(std::int64_t layer, const at::Tensor& keep_mask, bool compact = true);
  // If an eviction is pending: moves the valid slots of each head to the front (in their
  // original order) and shrinks the layer to the largest number of valid slots of any head.
  void compact(std::int64_t layer);
  // Repeats every row of `layer` `times` times in place (row r becomes rows r * times ..
  // r * times + times - 1), so that each copy can then evict on its own.
  void repeat_rows(std::int64_t layer, std::int64_t times);

  // Drops every token (capacity is kept).
  void clear();

 private:
  struct Layer {
    at::Tensor keys;
    at::Tensor values;
    at::Tensor positions;
    at::Tensor valid;
    std::int64_t batch = 0;
    std::int64_t length = 0;
    bool all_valid = true;
    bool compaction_pending = false;
    std::vector<std::int64_t> row_starts;  // host copy; empty when all are 0
  };
  void reserve(Layer& layer, std::int64_t needed) const;

  std::vector<Layer> layers_;
  std::int64_t kv_heads_ = 0;
  std::int64_t head_dim_ = 0;
  std::int64_t initial_capacity_ = 0;
  c10::Device device_ = c10::Device(c10::kCPU);
  c10::ScalarType dtype_ = c10::kFloat;
};

}  // namespace evomem::model
