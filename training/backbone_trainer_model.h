#pragma once
// A differentiable Llama forward for training the built-in backbone (the inference Backbone in
// model/ keeps a KV cache and fused weights and is not meant for autograd). Parameters carry
// the Hugging Face checkpoint names, so the trained tensors are written as a checkpoint that
// model::Backbone::load reads; RoPE comes from model/rope.h so both forwards agree.

#include <torch/torch.h>

#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <string>

#include "model/config.h"
#include "model/rope.h"

namespace evomem::training {

class TrainableLlama {
 public:
  // Parameters drawn from `seed` on the CPU (so a seed gives the same start on every device),
  // then placed on `device`: linear weights and embeddings ~ N(0, init_std^2), norms 1.
  TrainableLlama(model::LlamaConfig config, std::uint64_t seed, double init_std = 0.02, c10::Device device = c10::kCPU);
  // Parameters read from a checkpoint folder (config.json + safetensors), e.g. to compare
  // this forward with model::Backbone.
  static TrainableLlama from_checkpoint(const std::filesystem::path& directory, c10::Device device = c10::kCPU);
  // `parameters` (every tensor model::expected_tensor_names lists for `config`, float32 on any
  // device) moved to `device` and made trainable.
  static TrainableLlama from_parameters(model::LlamaConfig config, std::map<std::string, torch::Tensor> parameters,
                                        c10::Device device);

  // Sees each layer's queries and keys after RoPE, [batch, heads, n, head_dim] (keys repeated
  // so that head j of both belongs together), before attention uses them.
  using AttentionTap = std::function<void(std::int64_t layer, const torch::Tensor& q, const torch::Tensor& k)>;

  // tokens [batch, n] int64 on device() -> logits [batch, n, vocab] float32, causal attention
  // from position 0 (right padding does not disturb the real tokens).
  torch::Tensor forward(const torch::Tensor& tokens, const AttentionTap& tap = {}) const;

  // Attention is computed in blocks of this many query rows (0: the whole L x L matrix at
  // once); see causal_attention in the .cpp. The result is the same up to float rounding.
  // Blocks are the default on the CPU, where they halve the time at 4,096 tokens
  // (docs/benchmarks.md); on a GPU, where each block adds kernel launches and the gain was
  // not measured, the whole matrix is.
  void set_query_block(std::int64_t rows) { query_block_ = rows; }
  static constexpr std::int64_t kCpuQueryBlock = 256;

  const model::LlamaConfig& config() const { return config_; }
  c10::Device device() const { return device_; }
  // Every parameter by its checkpoint name (the tied lm_head is not listed).
  const std::map<std::string, torch::Tensor>& named_parameters() const { return parameters_; }
  std::vector<torch::Tensor> parameters() const;
  // Whether AdamW should decay this parameter (matrices yes; norms and embeddings no).
  static bool decays(const std::string& name);

  // config.json + model.safetensors (float32) into `directory`.
  void save_checkpoint(const std::filesystem::path& directory) const;

 private:
  TrainableLlama(model::LlamaConfig config, c10::Device device);
  torch::Tensor rms_norm(const torch::Tensor& x, const torch::Tensor& weight) const;
  const torch::Tensor& at(const std::string& name) const;

  model::LlamaConfig config_;
  c10::Device device_;
  model::RotaryEmbedding rope_;
  std::map<std::string, torch::Tensor> parameters_;
  std::int64_t query_block_;
};

}  // namespace evomem::training
