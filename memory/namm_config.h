#pragma once
// The complete configuration of a NAMM: features (spectrogram, EMA, normalisation, recency
// encoding), scorer and selection. Defaults are the published ones (docs/memory.md). The
// configuration travels with the weights (namm.safetensors metadata) as JSON.

#include <cstdint>
#include <string>

#include "core/json_file.h"
#include "memory/policy.h"

namespace evomem::memory {

// STFT of each cached token's attention column along the query axis, reduced by an EMA.
struct SpectrogramConfig {
  std::int64_t n_fft = 32;  // window length (periodic Hann); n_fft / 2 + 1 frequency bins
  std::int64_t hop = 16;    // frame stride; must divide n_fft and the update interval
  double ema_coeff = 0.99;  // per query token; a frame is worth ema_coeff^hop
  bool normalize = true;    // running mean/variance per bin (frozen after the first evaluation)
  std::int64_t bins() const { return n_fft / 2 + 1; }
};

// Sinusoidal encoding of a token's age (newest position - token position).
struct RecencyConfig {
  std::int64_t dims = 8;        // even; 0 disables the feature
  double max_period = 50000.0;  // frequencies max_period^(-2k/dims), k < dims/2 (published: 50000)
};

enum class ScorerType { kBam, kMlp };

struct ScorerConfig {
  ScorerType type = ScorerType::kBam;
  std::int64_t attention_dim = 32;  // BAM: width of Q, K and V
  std::int64_t mlp_hidden = 32;     // MLP: width of each hidden layer
  std::int64_t mlp_layers = 1;      // MLP: number of hidden layers
};

enum class SelectionMode { kThreshold, kTopK };

struct SelectionConfig {
  SelectionMode mode = SelectionMode::kThreshold;
  double threshold = 0.0;    // kThreshold: keep score >= threshold
  Budget budget{true, 0.5};  // kTopK: tokens per head (a count or a share of the tokens seen)
  // true: the published rule, every head of a layer keeps as many tokens as the head that
  // drops fewest, its best-scored ones; false: each head keeps what passes the threshold
  // (evomem's per-head retention).
  bool uniform_count = true;
  bool keep_newest = true;  // the newest token ranks first, so it is never evicted
};

struct NammConfig {
  std::int64_t update_interval = kDefaultUpdateInterval;
  // Round the attention probabilities to bfloat16 before the spectrogram, as the published
  // code's half_attn does (float32 otherwise). Not part of what a genome means.
  bool bf16_attention = false;
  SpectrogramConfig spectrogram;
  RecencyConfig recency;
  ScorerConfig scorer;
  SelectionConfig selection;

  std::int64_t feature_dim() const { return recency.dims + spectrogram.bins(); }
  // ConfigError naming the field when a value is out of range.
  void validate() const;

  core::Json to_json() const;
  // Missing fields keep their defaults; unknown fields and wrong types are ConfigErrors.
  static NammConfig from_json(const core::Json& json, const std::string& where);
};

// The fields that decide what a genome means (features and scorer); selection and the update
// interval may differ between a file and its use. Empty when they agree, else the first
// difference, e.g. "spectrogram.n_fft: 64 in the file, 32 expected".
std::string genome_config_mismatch(const NammConfig& file, const NammConfig& expected);

const char* scorer_type_name(ScorerType type);
const char* selection_mode_name(SelectionMode mode);

}  // namespace evomem::memory
