#pragma once
// NAMM token features: for every cached token of every KV head, the sinusoidal encoding of
// its age followed by the EMA-reduced, normalised attention spectrogram (8 + 17 = 25 values
// with the published settings).
//
// Per layer the features keep the EMA of every token and the last n_fft - hop attention rows
// of the previous update (prepended to the next update's rows; zeros at the first). Both are
// carried to the next update by matching original token positions, so they survive any
// eviction and compaction in between. Normalisation statistics are shared by all layers.

#include <ATen/core/Tensor.h>

#include <cstdint>
#include <vector>

#include "memory/namm_config.h"
#include "memory/spectrogram.h"
#include "model/observation.h"

namespace evomem::memory {

// Running per-bin mean and (population) variance of the EMA spectrogram.
struct NormalizationStats {
  std::vector<double> mean;
  std::vector<double> variance;
  double count = 0.0;
  bool frozen = false;

  // Merges a batch of statistics (Chan et al.'s parallel formula).
  void merge(const std::vector<double>& batch_mean, const std::vector<double>& batch_variance, double batch_count);
  core::Json to_json() const;
  static NormalizationStats from_json(const core::Json& json, std::int64_t bins, const std::string& where);
};

class NammFeatures {
 public:
  explicit NammFeatures(const NammConfig& config);

  std::int64_t dim() const { return config_.feature_dim(); }
  // Computes the features of one layer's observation, [b, h, n, dim] float32, and advances
  // that layer's EMA state (and the normalisation statistics unless frozen).
  at::Tensor compute(const model::AttentionObservation& observation);

  // Raw (unnormalised) EMA spectrogram of `layer` after its last update, [b, h, n, bins].
  const at::Tensor& ema(std::int64_t layer) const;

  // Sinusoidal age encoding [..., dims] of ages (any integer or float tensor).
  at::Tensor recency_encoding(const at::Tensor& ages) const;

  // Forgets the per-sequence state (EMA, row tails); normalisation statistics stay.
  void reset() { layers_.clear(); }
  const NormalizationStats& normalization() const { return normalization_; }
  void set_normalization(const NormalizationStats& stats);
  void freeze_normalization() { normalization_.frozen = true; }

 private:
  struct LayerState {
    at::Tensor ema;        // [b, h, n, bins]
    at::Tensor tail;       // [b, h, n, n_fft - hop]: last rows of the previous update, per token
    at::Tensor positions;  // [b, h, n]
    at::Tensor valid;      // [b, h, n]
  };

  NammConfig config_;
  Spectrogram spectrogram_;
  NormalizationStats normalization_;
  std::vector<LayerState> layers_;
};

}  // namespace evomem::memory
