#pragma once
// Baselines that score tokens by the attention they receive: H2O, SnapKV and the two policies
// built on SnapKV's scores (PyramidKV, Ada-SnapKV), and TOVA.

#include <ATen/core/Tensor.h>

#include <cstdint>
#include <string>
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

// SnapKV's token scores (Li et al. 2024), shared by SnapKV, PyramidKV and Ada-SnapKV: the
// attention of the `window` newest real queries of each sequence, summed over those queries,
// smoothed over neighbouring slots by a pooling of width `kernel` (average as published, zero
// padding counted, or max). The `window` newest tokens of each head (the observation window)
// are always kept by the policies that use these scores.
struct SnapKVScoring {
  enum class Pooling { kAverage, kMax };
  std::int64_t window = 32;
  std::int64_t kernel = 7;
  Pooling pooling = Pooling::kAverage;

  // Throws ConfigError naming `policy` unless window > 0 and kernel is a positive odd number.
  void validate(const std::string& policy) const;
  // "NAME:window=W,kernel=K,budget=B,pooling=avg|max", the start of a canonical spec.
  std::string spec_start(const std::string& name, const Budget& budget) const;
  // Pooled votes per slot, [b, h, n] float64. Needs the observation's attention.
  at::Tensor scores(const model::AttentionObservation& observation) const;
  // The observation window: the `window` newest valid slots of each head, [b, h, n] bool.
  at::Tensor window_mask(const model::AttentionObservation& observation) const;
};

// SnapKV: per head, the observation window plus the best-scored other tokens up to `budget`
// in total. Applied at every update point.
class SnapKVPolicy : public Policy {
 public:
  using Pooling = SnapKVScoring::Pooling;
  SnapKVPolicy(std::int64_t window, std::int64_t kernel, Budget budget, Pooling pooling = Pooling::kAverage,
               std::int64_t update_interval = kDefaultUpdateInterval);
  std::string name() const override { return "snapkv"; }
  std::string spec() const override;

 protected:
  std::optional<at::Tensor> select(const model::AttentionObservation& observation) override;

 private:
  SnapKVScoring scoring_;
  Budget budget_;
};

// PyramidKV (Cai et al. 2024): SnapKV with a per-layer budget that falls linearly with depth,
// the mean over the `layers` layers being `budget`. With B the budget in tokens, n the tokens
// seen and w the window (kvpress PyramidKVPress.get_layer_budget): min = B / beta,
// max = 2B - min; if max >= n - w then max = n - w and min = 2B - max; unless
// n >= max >= min >= w every layer keeps B (plain SnapKV), else layer l keeps
// round(max - l (max - min) / (layers - 1)).
class PyramidKVPolicy : public Policy {
 public:
  PyramidKVPolicy(SnapKVScoring scoring, Budget budget, std::int64_t layers, std::int64_t beta = 20,
                  std::int64_t update_interval = kDefaultUpdateInterval);
  std::string name() const override { return "pyramidkv"; }
  std::string spec() const override;

  // The tokens `layer` keeps per head in rows that have seen `seen` tokens ([batch] int64),
  // before the cap at each head's valid slots; [batch] int64.
  at::Tensor layer_budgets(std::int64_t layer, const at::Tensor& seen) const;

 protected:
  std::optional<at::Tensor> select(const model::AttentionObservation& observation) override;

 private:
  SnapKVScoring scoring_;
  Budget budget_;
  std::int64_t layers_;
  std::int64_t beta_;
};

// Ada-SnapKV (Feng et al. 2024, AdaKV): SnapKV scores, but a layer's budget (budget per head
// times its KV heads) is shared unevenly between its heads. Every head keeps its observation
// window and, as a safeguard, its floor(alpha * (budget - window)) best other tokens; the rest
// of the layer's budget goes to the best-scored remaining tokens of the whole layer, all heads
// competing. The mean kept per head stays `budget`.
class AdaKVPolicy : public Policy {
 public:
  AdaKVPolicy(SnapKVScoring scoring, Budget budget, double alpha = 0.2,
              std::int64_t update_interval = kDefaultUpdateInterval);
  std::string name() const override { return "adakv"; }
  std::string spec() const override;

 protected:
  std::optional<at::Tensor> select(const model::AttentionObservation& observation) override;

 private:
  SnapKVScoring scoring_;
  Budget budget_;
  double alpha_;
};

// TOVA (Oren et al. 2024): a token's score is the attention the newest query gives it,
// averaged over the layer's heads; every head keeps the same `budget` best-scored tokens, the
// newest token always among them.
class TOVAPolicy : public Policy {
 public:
  explicit TOVAPolicy(Budget budget, std::int64_t update_interval = kDefaultUpdateInterval);
  std::string name() const override { return "tova"; }
  std::string spec() const override;

 protected:
  std::optional<at::Tensor> select(const model::AttentionObservation& observation) override;

 private:
  Budget budget_;
};

}  // namespace evomem::memory
