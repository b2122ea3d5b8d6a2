#pragma once
// Rotary position embeddings as Hugging Face transformers computes them for Llama: inverse
// frequencies base^(-2i/d) in float32 (adjusted by rope_scaling), angles position * inv_freq
// in float32, cos/sin cast to the activation dtype, and the "rotate half" pairing
// (dimension i is paired with i + d/2, not with i + 1).

#include <ATen/core/Tensor.h>

#include <cstdint>

#include "model/config.h"

namespace evomem::model {

// Inverse frequencies [head_dim / 2] (float32, CPU) for a context of `sequence_length`
// tokens. Only dynamic NTK scaling depends on the length: it grows the base once the
// context exceeds the original maximum.
at::Tensor rope_inverse_frequencies(const LlamaConfig& config, std::int64_t sequence_length);

// Rotates `x` [..., n_tokens, head_dim] in place-free fashion; `cos`/`sin` are [batch or 1,
// 1, n_tokens, head_dim] in x's dtype (see RotaryEmbedding::cos_sin).
at::Tensor apply_rope(const at::Tensor& x, const at::Tensor& cos, const at::Tensor& sin);

// Caches the inverse frequencies on the model's device and builds cos/sin tables.
class RotaryEmbedding {
 public:
  RotaryEmbedding() = default;
  RotaryEmbedding(const LlamaConfig& config, c10::Device device);

  // `positions` [batch, n_tokens] int64 -> (cos, sin), each [batch, 1, n_tokens, head_dim] in
  // `dtype`. `sequence_length` is 1 + the largest position of the sequence so far; it only
  // matters for dynamic scaling (transformers uses 1 + the largest position of the call).
  std::pair<at::Tensor, at::Tensor> cos_sin(const at::Tensor& positions, std::int64_t sequence_length,
                                            c10::ScalarType dtype) const;

 private:
  LlamaConfig config_;
  at::Tensor inverse_frequencies_;  // float32, on the device, for contexts within the original length
};

}  // namespace evomem::model
