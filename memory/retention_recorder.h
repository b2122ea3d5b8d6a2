#pragma once
// Records what a policy retains, per layer and KV head: kept counts at every update point,
// the mean and maximum age of the kept tokens, and (detailed mode) when each original token
// position was evicted from each head, from which the keep mask at any point follows.
// Summary mode costs one small device->host copy per layer update, cheap enough to leave on
// in evaluation. Attach with Policy::set_recorder.

#include <ATen/core/Tensor.h>

#include <cstdint>
#include <optional>
#include <vector>

#include "core/json_file.h"
#include "model/observation.h"

namespace evomem::memory {

class RetentionRecorder {
 public:
  explicit RetentionRecorder(bool detailed = false) : detailed_(detailed) {}

  // One update point of one layer; `keep` as returned by the policy (nullopt = keep all).
  void record(const model::AttentionObservation& observation, const std::optional<at::Tensor>& keep);
  // Forgets everything (call before a new batch of sequences).
  void reset() { layers_.clear(); }
  bool detailed() const { return detailed_; }

  // One update of one layer; tensors are [batch, kv_heads] on the CPU.
  struct Update {
    std::int64_t tokens_seen = 0;
    at::Tensor cached;    // valid slots before the decision
    at::Tensor kept;      // valid slots after it
    at::Tensor mean_age;  // float64; mean age (newest position - position) of kept tokens
    at::Tensor max_age;   // int64
  };
  struct LayerRecord {
    std::vector<Update> updates;
    // Detailed: [batch, kv_heads, tokens] int32 by original position, tokens_seen of the update
    // that evicted the token from the head, kNeverEvicted while it is cached. Covers the
    // positions seen up to the layer's last update; later tokens are all still cached.
    at::Tensor evicted_at;
    // Detailed: [batch, kv_heads, tokens] uint8, 1 where the token is cached after the last
    // update (positions beyond evicted_at count as cached).
    at::Tensor keep_mask(std::int64_t tokens) const;
  };
  static constexpr std::int32_t kNeverEvicted = -1;

  std::int64_t layers() const { return static_cast<std::int64_t>(layers_.size()); }
  const LayerRecord& layer(std::int64_t index) const { return layers_.at(static_cast<std::size_t>(index)); }
  // Per layer: updates, mean kept fraction, final kept per head (sequence 0 .. batch-1).
  core::Json summary() const;

 private:
  bool detailed_;
  std::vector<LayerRecord> layers_;
};

}  // namespace evomem::memory
