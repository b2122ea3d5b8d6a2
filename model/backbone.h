#pragma once
// The frozen Llama model: weights, RoPE tables and the KV cache of the sequences being run.
//
// Sequences are processed as a batch of equal-length rows; prompts of different lengths are
// left-padded and the padding marked invalid (token_valid), so padding never receives
// attention and does not advance positions. Prefill runs in chunks; decode feeds one token
// per sequence. An AttentionObserver (model/observation.h) may watch attention and evict
// cache slots at update points, and may branch each sequence into several rows there (the
// batch then grows; see observation.h).

#include <ATen/core/Tensor.h>
#include <c10/core/Device.h>

#include <filesystem>
#include <vector>

#include "model/config.h"
#include "model/kv_cache.h"
#include "model/observation.h"
#include "model/rope.h"
#include "model/weights.h"

namespace evomem::model {

struct PrefillOptions {
  std::int64_t chunk_size = 512;  // tokens per forward step (<= 0: the whole prompt)
  AttentionObserver* observer = nullptr;
  at::Tensor token_valid;   // [batch, n] bool; undefined = no padding
  bool all_logits = false;  // logits of every position instead of the last
};

class Backbone {
 public:
  Backbone(LlamaConfig config, LlamaWeights weights, c10::Device device);
  // config.json + safetensors of a Hugging Face checkpoint folder.
  static Backbone load(const std::filesystem::path& checkpoint_dir, const LoadOptions& options = {});

  const LlamaConfig& config() const { return config_; }
  const LlamaWeights& weights() const { return weights_; }
  c10::Device device() const { return device_; }
  c10::ScalarType dtype() const { return weights_.embed_tokens.scalar_type(); }

  // Starts `batch_size` new, empty sequences.
  void reset(std::int64_t batch_size = 1);
  std::int64_t batch_size() const { return cache_.batch_size(); }

  // Appends prompt tokens [batch, n] (int64) to the current sequences. Returns float32
  // logits [batch, vocab] of the last position (or [batch, n, vocab] with all_logits).
  at::Tensor prefill(const at::Tensor& tokens, const PrefillOptions& options = {});
  // Appends one token per sequence ([batch] int64) and returns logits [batch, vocab].
  at::Tensor decode_step(const at::Tensor& tokens, AttentionObserver* observer = nullptr);

  KvCache& cache() { return cache_; }
  const KvCache& cache() const { return cache_; }
  std::int64_t tokens_seen() const { return tokens_seen_; }
  // Next position of each sequence, [batch] int64 on the host (number of non-padding tokens
  // so far).
  const at::Tensor& next_positions() const { return next_positions_; }

 private:
  // One step's tokens on the device, their validity (undefined: all valid), cache positions
  // and the positions the observer sees (-1 for padding).
  struct StepTokens {
    std::int64_t sequence_length = 0;  // largest position of the step + 1
    at::Tensor tokens;
    at::Tensor token_valid;
    at::Tensor positions;
    at::Tensor query_positions;
  };
  StepTokens step_tokens(const at::Tensor& tokens, const at::Tensor& token_valid);
  void observe_and_evict(std::int64_t layer, const at::Tensor& group_probs, const StepTokens& step,
                         AttentionObserver& observer, bool update_point, bool want_probs);
  at::Tensor forward_step(const at::Tensor& tokens, const at::Tensor& token_valid, AttentionObserver* observer,
                          bool all_logits);
  at::Tensor rms_norm(const at::Tensor& x, const at::Tensor& weight) const;

  LlamaConfig config_;
  LlamaWeights weights_;
  c10::Device device_;
  RotaryEmbedding rope_;
  KvCache cache_;
  std::vector<AttentionRowBuffer> pending_rows_;  // per layer, since the last update point
  at::Tensor next_positions_;
  std::int64_t tokens_seen_ = 0;
};

}  // namespace evomem::model
