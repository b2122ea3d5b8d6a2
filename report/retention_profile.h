#pragma once
// Where in a sample each layer keeps its tokens: kept fractions by layer and by *relative*
// position (token index / tokens of its sample), so that samples of different lengths share
// one axis. The report's heatmap and curves draw this; the text view draws the per-token
// counts of one sample.

#include <cstdint>
#include <string>
#include <vector>

#include "report/retention_record.h"

namespace evomem::report {

constexpr std::int64_t kDefaultProfileBins = 64;

// Kept fractions per (layer, relative-position bin). Token t of a sample with n tokens falls
// in bin floor(t * bins / n), i.e. bin b covers relative positions [b / bins, (b + 1) / bins).
// Every fraction pools (sample, KV head, token) entries, as report/retention_summary.h does,
// so long samples weigh more than short ones.
struct RetentionProfile {
  std::int64_t layers = 0;
  std::int64_t bins = 0;
  std::int64_t samples = 0;
  // [layers][bins]: kept entries / entries; NaN for a bin that no token falls in (samples
  // shorter than `bins` tokens leave gaps).
  std::vector<std::vector<double>> kept;
  std::vector<std::vector<std::int64_t>> entries;
  // [bins]: all layers pooled (kept entries of every layer / entries of every layer).
  std::vector<double> all_layers_kept;
  std::vector<std::int64_t> all_layers_entries;
};

// A profile labelled with the policy it describes, as the charts take it.
struct PolicyProfile {
  std::string spec;
  RetentionProfile profile;
};

// Throws InputError for bins < 1 or samples that disagree on layers / KV heads or whose
// eviction arrays do not have kv_heads * tokens entries. No samples give a profile with
// zero layers and an all-NaN pooled row.
RetentionProfile retention_profile(const std::vector<SampleRetention>& samples,
                                   std::int64_t bins = kDefaultProfileBins);

// One sample token by token, for the text view.
struct TokenRetention {
  std::int64_t layers = 0;
  std::int64_t kv_heads = 0;
  std::int64_t tokens = 0;
  // [layers][tokens]: how many KV heads of the layer still cache the token at the end.
  std::vector<std::vector<std::int32_t>> heads_kept;
  // [tokens]: mean over layers of heads_kept / kv_heads ("how many layers kept it").
  std::vector<double> mean_kept;

  // Fraction of the KV heads of `layer` that kept `token`.
  double layer_kept(std::int64_t layer, std::int64_t token) const;
};

// Throws InputError when the eviction arrays do not match the sample's sizes.
TokenRetention token_retention(const SampleRetention& sample);

}  // namespace evomem::report
