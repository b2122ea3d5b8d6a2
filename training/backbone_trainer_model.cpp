#include "training/backbone_trainer_model.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "core/error.h"
#include "core/files.h"
#include "core/json_file.h"
#include "core/safetensors.h"
#include "core/text.h"
#include "model/weights.h"

namespace evomem::training {
namespace {

std::string layer_name(std::int64_t layer, const char* suffix) {
  return "model.layers." + std::to_string(layer) + "." + suffix;
}

// softmax(q k^T * scale) v over the keys at or before each query, computed in blocks of
// `block` query rows: block i multiplies only against keys [0, end of block i), so the
// masked upper triangle (about half of the L x L scores at long lengths) is neither computed,
// stored for backward nor differentiated. block <= 0: one block.
torch::Tensor causal_attention(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v, double scale,
                               std::int64_t block) {
  const std::int64_t length = q.size(2);
  if (block <= 0) block = length;
  const auto flags = torch::TensorOptions().device(q.device()).dtype(torch::kBool);
  std::vector<torch::Tensor> outputs;
  for (std::int64_t begin = 0; begin < length; begin += block) {
    const std::int64_t end = std::min(length, begin + block);
    const auto keys = k.slice(2, 0, end);
    auto scores = torch::matmul(q.slice(2, begin, end) * scale, keys.transpose(-2, -1));
    // Row r is query begin + r: key j is hidden when j > begin + r.
    const auto hidden = torch::ones({end - begin, end}, flags).triu(begin + 1);
    scores = scores.masked_fill(hidden, -std::numeric_limits<float>::infinity());
    outputs.push_back(torch::matmul(torch::softmax(scores, -1), v.slice(2, 0, end)));
  }
  return outputs.size() == 1 ? outputs.front() : torch::cat(outputs, 2);
}

}  // namespace

TrainableLlama::TrainableLlama(model::LlamaConfig config, c10::Device device)
    : config_(std::move(config)),
      device_(device),
      rope_(config_, device),
      query_block_(device.is_cpu() ? kCpuQueryBlock : 0) {}

TrainableLlama::TrainableLlama(model::LlamaConfig config, std::uint64_t seed, double init_std, c10::Device device)
    : TrainableLlama(std::move(config), device) {
  torch::manual_seed(seed);
  for (const auto& name : model::expected_tensor_names(config_)) {
    const auto shape = model::expected_tensor_shape(config_, name);
    torch::Tensor value = core::ends_with(name, "norm.weight") ? torch::ones(shape) : torch::randn(shape) * init_std;
    // Residual-branch outputs start smaller so deep stacks begin near the identity (GPT-2).
    if (core::ends_with(name, "o_proj.weight") || core::ends_with(name, "down_proj.weight")) {
      value /= std::sqrt(2.0 * static_cast<double>(config_.num_hidden_layers));
    }
    parameters_[name] = value.to(device_).set_requires_grad(true);
  }
}

TrainableLlama TrainableLlama::from_checkpoint(const std::filesystem::path& directory, c10::Device device) {
  auto config = model::load_config(directory);
  const core::SafetensorsCheckpoint checkpoint(directory);
  std::map<std::string, torch::Tensor> parameters;
  for (const auto& name : model::expected_tensor_names(config)) {
    const auto& view = checkpoint.tensor(name);
    parameters[name] = torch::tensor(view.to_float32()).reshape(view.shape);
  }
  return from_parameters(std::move(config), std::move(parameters), device);
}

TrainableLlama TrainableLlama::from_parameters(model::LlamaConfig config,
                                               std::map<std::string, torch::Tensor> parameters, c10::Device device) {
  TrainableLlama llama(std::move(config), device);
  for (const auto& name : model::expected_tensor_names(llama.config_)) {
    const auto found = parameters.find(name);
    EVOMEM_CHECK(found != parameters.end(), "missing parameter " + name);
    llama.parameters_[name] = found->second.to(device, torch::kFloat).set_requires_grad(true);
  }
  return llama;
}

std::vector<torch::Tensor> TrainableLlama::parameters() const {
  std::vector<torch::Tensor> list;
  for (const auto& [name, value] : parameters_) list.push_back(value);
  return list;
}

bool TrainableLlama::decays(const std::string& name) {
  return !core::ends_with(name, "norm.weight") && name != "model.embed_tokens.weight";
}

const torch::Tensor& TrainableLlama::at(const std::string& name) const {
  const auto found = parameters_.find(name);
  EVOMEM_CHECK(found != parameters_.end(), "missing parameter " + name);
  return found->second;
}

torch::Tensor TrainableLlama::rms_norm(const torch::Tensor& x, const torch::Tensor& weight) const {
  const auto variance = x.pow(2).mean(-1, true);
  return weight * (x * torch::rsqrt(variance + config_.rms_norm_eps));
}

torch::Tensor TrainableLlama::forward(const torch::Tensor& tokens, const AttentionTap& tap) const {
  const std::int64_t batch = tokens.size(0);
  const std::int64_t length = tokens.size(1);
  const std::int64_t heads = config_.num_attention_heads;
  const std::int64_t kv_heads = config_.num_key_value_heads;
  const std::int64_t head_dim = config_.head_dim;
  const auto on_device = torch::TensorOptions().device(device_);
  const auto positions = torch::arange(length, on_device.dtype(torch::kLong)).unsqueeze(0);
  const auto [cos, sin] = rope_.cos_sin(positions, length, torch::kFloat);
  const double scale = 1.0 / std::sqrt(static_cast<double>(head_dim));

  torch::Tensor x = torch::embedding(at("model.embed_tokens.weight"), tokens);
  for (std::int64_t layer = 0; layer < config_.num_hidden_layers; ++layer) {
    const auto h = rms_norm(x, at(layer_name(layer, "input_layernorm.weight")));
    auto q = torch::linear(h, at(layer_name(layer, "self_attn.q_proj.weight")))
                 .view({batch, length, heads, head_dim})
                 .transpose(1, 2);
    auto k = torch::linear(h, at(layer_name(layer, "self_attn.k_proj.weight")))
                 .view({batch, length, kv_heads, head_dim})
                 .transpose(1, 2);
    auto v = torch::linear(h, at(layer_name(layer, "self_attn.v_proj.weight")))
                 .view({batch, length, kv_heads, head_dim})
                 .transpose(1, 2);
    q = model::apply_rope(q, cos, sin);
    k = model::apply_rope(k, cos, sin);
    // Query head j reads KV head j / group_size, as transformers' repeat_kv arranges them.
    k = k.repeat_interleave(config_.group_size(), 1);
    v = v.repeat_interleave(config_.group_size(), 1);
    if (tap) tap(layer, q, k);
    const auto attended =
        causal_attention(q, k, v, scale, query_block_).transpose(1, 2).reshape({batch, length, heads * head_dim});
    x = x + torch::linear(attended, at(layer_name(layer, "self_attn.o_proj.weight")));
    const auto g = rms_norm(x, at(layer_name(layer, "post_attention_layernorm.weight")));
    const auto gate = torch::linear(g, at(layer_name(layer, "mlp.gate_proj.weight")));
    const auto up = torch::linear(g, at(layer_name(layer, "mlp.up_proj.weight")));
    x = x + torch::linear(torch::silu(gate) * up, at(layer_name(layer, "mlp.down_proj.weight")));
  }
  x = rms_norm(x, at("model.norm.weight"));
  const auto& head = config_.tie_word_embeddings ? at("model.embed_tokens.weight") : at("lm_head.weight");
  return torch::linear(x, head);
}

void TrainableLlama::save_checkpoint(const std::filesystem::path& directory) const {
  std::filesystem::create_directories(directory);
  core::SafetensorsWriter writer;
  for (const auto& name : model::expected_tensor_names(config_)) {
    const auto value = at(name).detach().to(torch::kCPU, torch::kFloat).contiguous();
    std::vector<float> values(value.data_ptr<float>(), value.data_ptr<float>() + value.numel());
    writer.add_f32(name, std::vector<std::int64_t>(value.sizes().begin(), value.sizes().end()), values);
  }
  writer.set_metadata("format", "pt");
  writer.write(directory / "model.safetensors");
  core::write_text_file_atomically(directory / "config.json", model::config_to_json(config_).dump(2) + "\n");
}

}  // namespace evomem::training
