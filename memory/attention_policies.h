#pragma once
// Baselines that score tokens by the attention they receive: H2O and SnapKV.

#include <ATen/core/Tensor.h>

#include <cstdint>
#include <vector>

#include "memory/policy.h"

namespace evomem::memory {

// H2O (Zhang et al. 2023, "heavy hitters"): per layer and KV head, accumulate the attention
// every cached token has received from every query so far; keep the `recent` newest tokens
// plus the `heavy` other tokens with the largest accumulated attention.
class H2OPolicy : public Policy {
 public:
  H2OPolicy(Budget heavy, Budget recent, std::int64_t update_interval = kDefaultUpdateInterval);
  std::string name() const override { return "h2o"; }
  std::string spec() const override;
  void reset() override { layers_.clear(); }

  // Accumulated attention per slot of `layer` after its last update, [b, h, n] float64
  // (evicted slots included with their final value); undefined before the first update.
  at::Tensor accumulated(std::int64_t layer) const;

 protected:
  std::optional<at::Tensor> select(const model::AttentionObservation& observation) override;

 private:
  struct LayerState {
    at::Tensor scores;     // [b, h, n] float64
    at::Tensor positions;  // [b, h, n]
    at::Tensor kept;       // [b, h, n] bool
  };
  Budget heavy_;
  Budget recent_;
  std::vector<LayerState> layers_;
};

// SnapKV (Li et al. 2024): the attention of the last `window` queries, summed over those
// queries, smoothed over neighbouring slots by a pooling of width `kernel` (average as
// published, or max), then the top tokens of each head up to `budget` in total, the
// `window` newest tokens always among them. Applied at every update point.
class SnapKVPolicy : public Policy {
 public:
  enum class Pooling { kAverage, kMax };
  SnapKVPolicy(std::int64_t window, std::int64_t kernel, Budget budget, Pooling pooling = Pooling::kAverage,
               std::int64_t update_interval = kDefaultUpdateInterval);
  std::string name() const override { return "snapkv"; }
  std::string spec() const override;

 protected:
  std::optional<at::Tensor> select(const model::AttentionObservation& observation) override;

 private:
  std::int64_t window_;
  std::int64_t kernel_;
  Budget budget_;
  Pooling pooling_;
};

}  // namespace evomem::memory
