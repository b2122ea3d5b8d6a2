#pragma once
// Helpers shared by the backbone tests: tiny configurations and an independent, deliberately
// naive reference forward pass (per head, full-sequence, explicit masks) computed straight
// from the checkpoint-named tensors.

#include <ATen/ATen.h>

#include <cmath>
#include <functional>
#include <map>
#include <string>

#include "model/config.h"

namespace evomem::model::test_support {

inline LlamaConfig tiny_config(std::int64_t kv_heads = 2, bool tied = false) {
  LlamaConfig config;
  config.vocab_size = 97;
  config.hidden_size = 32;
  config.intermediate_size = 48;
  config.num_hidden_layers = 2;
  config.num_attention_heads = 4;
  config.num_key_value_heads = kv_heads;
  config.head_dim = 8;
  config.rms_norm_eps = 1e-5;
  config.rope_theta = 10000.0;
  config.max_position_embeddings = 256;
  config.tie_word_embeddings = tied;
  config.bos_token_ids = {1};
  config.eos_token_ids = {2};
  return config;
}

// visible(layer, kv_head, query_position, key_position) -> may the query see the key.
using Visibility = std::function<bool(std::int64_t, std::int64_t, std::int64_t, std::int64_t)>;

struct ReferenceOutput {
  at::Tensor logits;                    // [n, vocab]
  std::vector<at::Tensor> group_probs;  // per layer [kv_heads, n, n]
};

// Batch-1 forward over `tokens` with default RoPE (double-precision angles).
inline ReferenceOutput reference_forward(const LlamaConfig& config, const std::map<std::string, at::Tensor>& tensors,
                                         const std::vector<std::int64_t>& tokens, const Visibility& visible) {
  const auto n = static_cast<std::int64_t>(tokens.size());
  const std::int64_t d = config.head_dim;
  const std::int64_t group = config.num_attention_heads / config.num_key_value_heads;
  const auto rms = [&](const at::Tensor& x, const at::Tensor& w) {
    return w * (x / at::sqrt(x.pow(2).mean({-1}, true) + config.rms_norm_eps));
  };
  at::Tensor cos = at::empty({n, d}, at::kDouble);
  at::Tensor sin = at::empty({n, d}, at::kDouble);
  for (std::int64_t p = 0; p < n; ++p) {
    for (std::int64_t i = 0; i < d / 2; ++i) {
      const double angle = static_cast<double>(p) *
                           std::pow(config.rope_theta, -2.0 * static_cast<double>(i) / static_cast<double>(d));
      cos[p][i] = cos[p][i + d / 2] = std::cos(angle);
      sin[p][i] = sin[p][i + d / 2] = std::sin(angle);
    }
  }
  const auto rotate = [&](const at::Tensor& x) {  // x [n, d]
    const at::Tensor rotated = at::cat({-x.narrow(1, d / 2, d / 2), x.narrow(1, 0, d / 2)}, 1);
    return x * cos + rotated * sin;
  };
  const auto get = [&](const std::string& name) { return tensors.at(name).to(at::kDouble); };
  at::Tensor ids = at::tensor(tokens, at::kLong);
  at::Tensor x = get("model.embed_tokens.weight").index_select(0, ids);
  ReferenceOutput out;
  for (std::int64_t layer = 0; layer < config.num_hidden_layers; ++layer) {
    const std::string prefix = "model.layers." + std::to_string(layer) + ".";
    const at::Tensor h = rms(x, get(prefix + "input_layernorm.weight"));
    const at::Tensor q = at::matmul(h, get(prefix + "self_attn.q_proj.weight").t());
    const at::Tensor k = at::matmul(h, get(prefix + "self_attn.k_proj.weight").t());
    const at::Tensor v = at::matmul(h, get(prefix + "self_attn.v_proj.weight").t());
    std::vector<at::Tensor> head_outputs;
    at::Tensor probs_sum = at::zeros({config.num_key_value_heads, n, n}, at::kDouble);
    for (std::int64_t head = 0; head < config.num_attention_heads; ++head) {
      const std::int64_t kv = head / group;
      const at::Tensor qh = rotate(q.narrow(1, head * d, d));
      const at::Tensor kh = rotate(k.narrow(1, kv * d, d));
      const at::Tensor vh = v.narrow(1, kv * d, d);
      at::Tensor scores = at::matmul(qh, kh.t()) / std::sqrt(static_cast<double>(d));
      for (std::int64_t t = 0; t < n; ++t) {
        for (std::int64_t j = 0; j < n; ++j) {
          if (j > t || !visible(layer, kv, t, j)) scores[t][j] = -INFINITY;
        }
      }
      const at::Tensor probs = at::softmax(scores, -1);
      probs_sum[kv] += probs;
      head_outputs.push_back(at::matmul(probs, vh));
    }
    out.group_probs.push_back((probs_sum / static_cast<double>(group)).to(at::kFloat));
    x = x + at::matmul(at::cat(head_outputs, 1), get(prefix + "self_attn.o_proj.weight").t());
    const at::Tensor h2 = rms(x, get(prefix + "post_attention_layernorm.weight"));
    const at::Tensor gate = at::matmul(h2, get(prefix + "mlp.gate_proj.weight").t());
    const at::Tensor up = at::matmul(h2, get(prefix + "mlp.up_proj.weight").t());
    x = x + at::matmul(at::silu(gate) * up, get(prefix + "mlp.down_proj.weight").t());
  }
  const at::Tensor head = config.tie_word_embeddings ? get("model.embed_tokens.weight") : get("lm_head.weight");
  out.logits = at::matmul(rms(x, get("model.norm.weight")), head.t()).to(at::kFloat);
  return out;
}

inline std::vector<std::int64_t> random_tokens(std::int64_t count, std::int64_t vocab, std::uint64_t seed) {
  std::vector<std::int64_t> tokens;
  std::uint64_t state = seed * 6364136223846793005ULL + 1442695040888963407ULL;
  for (std::int64_t i = 0; i < count; ++i) {
    state = state * 6364136223846793005ULL + 1442695040888963407ULL;
    tokens.push_back(static_cast<std::int64_t>((state >> 33) % static_cast<std::uint64_t>(vocab)));
  }
  return tokens;
}

}  // namespace evomem::model::test_support
