#include "model/weights.h"

#include <ATen/ATen.h>
#include <ATen/Context.h>
#include <c10/core/InferenceMode.h>

#include <cstdlib>
#include <cstring>
#include <map>
#include <set>

#include "core/error.h"
#include "core/logging.h"
#include "core/safetensors.h"
#include "core/text.h"

namespace evomem::model {

namespace {

std::optional<c10::ScalarType> torch_dtype_of(core::DType dtype) {
  switch (dtype) {
    case core::DType::kF32: return c10::kFloat;
    case core::DType::kBF16: return c10::kBFloat16;
    case core::DType::kF16: return c10::kHalf;
    default: return std::nullopt;
  }
}

std::string layer_prefix(std::int64_t layer) { return "model.layers." + std::to_string(layer) + "."; }

// Checks and copies one tensor into host memory (the mapped data may be unaligned).
at::Tensor read_tensor(const core::SafetensorsCheckpoint& checkpoint, const LlamaConfig& config,
                       const std::string& name, c10::ScalarType required_dtype) {
  if (!checkpoint.contains(name)) {
    throw FormatError("checkpoint: tensor '" + name + "' is missing (expected shape " +
                      core::shape_text(expected_tensor_shape(config, name)) + ")");
  }
  const core::TensorView& view = checkpoint.tensor(name);
  const std::string where = checkpoint.file_of(name).string() + ": tensor '" + name + "'";
  const std::vector<std::int64_t> expected = expected_tensor_shape(config, name);
  if (view.shape != expected) {
    throw FormatError(where + " has shape " + core::shape_text(view.shape) + ", expected " +
                      core::shape_text(expected) + " from config.json");
  }
  const std::optional<c10::ScalarType> stored = torch_dtype_of(view.dtype);
  if (!stored) {
    throw FormatError(where + " is stored as " + core::dtype_name(view.dtype) +
                      "; model weights must be F32, BF16 or F16");
  }
  if (*stored != required_dtype) {
    throw FormatError(where + " is stored as " + core::dtype_name(view.dtype) + " while the other weights are " +
                      dtype_to_string(required_dtype) + "; pass a dtype to cast all weights to one type");
  }
  at::Tensor tensor = at::empty(view.shape, at::TensorOptions().dtype(*stored));
  EVOMEM_CHECK(static_cast<std::size_t>(tensor.nbytes()) == view.byte_size, "tensor byte size mismatch for " + name);
  if (view.byte_size > 0) std::memcpy(tensor.data_ptr(), view.data, view.byte_size);
  return tensor;
}

}  // namespace

c10::Device parse_device(const std::string& text) {
  c10::Device device(c10::kCPU);
  try {
    device = c10::Device(text);
  } catch (const std::exception&) {
    throw InputError("device '" + text + "' is not valid (use cpu, cuda or cuda:N)");
  }
  if (device.is_cuda()) {
    if (!at::hasCUDA()) {
      throw InputError("device '" + text + "' requested, but this build of LibTorch has no CUDA or no GPU is visible");
    }
  } else if (!device.is_cpu()) {
    throw InputError("device '" + text + "' is not supported (use cpu, cuda or cuda:N)");
  }
  return device;
}

c10::ScalarType parse_dtype(const std::string& text) {
  if (text == "float32" || text == "fp32" || text == "f32") return c10::kFloat;
  if (text == "bfloat16" || text == "bf16") return c10::kBFloat16;
  if (text == "float16" || text == "fp16" || text == "f16" || text == "half") return c10::kHalf;
  throw InputError("dtype '" + text + "' is not supported (float32, bfloat16 or float16)");
}

std::string dtype_to_string(c10::ScalarType dtype) {
  switch (dtype) {
    case c10::kFloat: return "float32";
    case c10::kBFloat16: return "bfloat16";
    case c10::kHalf: return "float16";
    default: return c10::toString(dtype);
  }
}

std::vector<std::string> expected_tensor_names(const LlamaConfig& config) {
  std::vector<std::string> names = {"model.embed_tokens.weight"};
  for (std::int64_t layer = 0; layer < config.num_hidden_layers; ++layer) {
    const std::string prefix = layer_prefix(layer);
    for (const char* suffix : {"input_layernorm.weight", "self_attn.q_proj.weight", "self_attn.k_proj.weight",
                               "self_attn.v_proj.weight", "self_attn.o_proj.weight", "post_attention_layernorm.weight",
                               "mlp.gate_proj.weight", "mlp.up_proj.weight", "mlp.down_proj.weight"}) {
      names.push_back(prefix + suffix);
    }
  }
  names.push_back("model.norm.weight");
  if (!config.tie_word_embeddings) names.push_back("lm_head.weight");
  return names;
}

std::vector<std::int64_t> expected_tensor_shape(const LlamaConfig& config, const std::string& name) {
  const std::int64_t hidden = config.hidden_size;
  const std::int64_t q_width = config.num_attention_heads * config.head_dim;
  const std::int64_t kv_width = config.num_key_value_heads * config.head_dim;
  if (name == "model.embed_tokens.weight" || name == "lm_head.weight") return {config.vocab_size, hidden};
  if (name == "model.norm.weight") return {hidden};
  const auto ends_with = [&](std::string_view suffix) { return core::ends_with(name, suffix); };
  if (ends_with("layernorm.weight")) return {hidden};
  if (ends_with("q_proj.weight")) return {q_width, hidden};
  if (ends_with("k_proj.weight") || ends_with("v_proj.weight")) return {kv_width, hidden};
  if (ends_with("o_proj.weight")) return {hidden, q_width};
  if (ends_with("gate_proj.weight") || ends_with("up_proj.weight")) return {config.intermediate_size, hidden};
  if (ends_with("down_proj.weight")) return {hidden, config.intermediate_size};
  throw InternalError("no expected shape for tensor '" + name + "'");
}

void check_tensors_fit_config(const core::SafetensorsCheckpoint& checkpoint, const LlamaConfig& config,
                              const std::filesystem::path& checkpoint_dir) {
  for (const std::string& name : checkpoint.names()) {
    if (name.rfind("model.layers.", 0) != 0) continue;
    const auto layer = std::strtoll(name.c_str() + std::strlen("model.layers."), nullptr, 10);
    if (layer >= config.num_hidden_layers) {
      throw FormatError(checkpoint.file_of(name).string() + ": tensor '" + name + "' belongs to layer " +
                        std::to_string(layer) + ", but " + (checkpoint_dir / "config.json").string() +
                        " has num_hidden_layers = " + std::to_string(config.num_hidden_layers) +
                        "; the config describes another model");
    }
  }
  for (const std::string& name : expected_tensor_names(config)) {
    if (!checkpoint.contains(name)) {
      throw FormatError(checkpoint_dir.string() + ": tensor '" + name + "' is missing (expected shape " +
                        core::shape_text(expected_tensor_shape(config, name)) + " from config.json)");
    }
    const auto& shape = checkpoint.tensor(name).shape;
    if (shape != expected_tensor_shape(config, name)) {
      throw FormatError(checkpoint.file_of(name).string() + ": tensor '" + name + "' has shape " +
                        core::shape_text(shape) + ", expected " +
                        core::shape_text(expected_tensor_shape(config, name)) + " from config.json");
    }
  }
}

LlamaWeights load_weights(const std::filesystem::path& checkpoint_dir, const LlamaConfig& config,
                          const LoadOptions& options) {
  c10::InferenceMode inference_mode;
  const core::SafetensorsCheckpoint checkpoint(checkpoint_dir);
  check_tensors_fit_config(checkpoint, config, checkpoint_dir);
  const std::vector<std::string> names = expected_tensor_names(config);

  // The stored dtype is decided by the embedding (always present); everything else must match
  // it unless a cast was requested, since mixed dtypes cannot be multiplied together.
  const std::string anchor = "model.embed_tokens.weight";
  if (!checkpoint.contains(anchor)) {
    throw FormatError(checkpoint_dir.string() + ": tensor '" + anchor + "' is missing");
  }
  const std::optional<c10::ScalarType> anchor_dtype = torch_dtype_of(checkpoint.tensor(anchor).dtype);
  if (!anchor_dtype) {
    throw FormatError(checkpoint.file_of(anchor).string() + ": tensor '" + anchor + "' is stored as " +
                      core::dtype_name(checkpoint.tensor(anchor).dtype) + "; model weights must be F32, BF16 or F16");
  }
  const c10::ScalarType target = options.dtype.value_or(*anchor_dtype);

  const std::set<std::string> expected(names.begin(), names.end());
  for (const std::string& name : checkpoint.names()) {
    // Old checkpoints store the RoPE frequency buffer; it is recomputed from config.json.
    // Tied checkpoints sometimes still carry lm_head.weight; the embedding is used instead.
    if (expected.count(name) == 0 && name.find("rotary_emb.inv_freq") == std::string::npos &&
        !(config.tie_word_embeddings && name == "lm_head.weight")) {
      core::log::warn("checkpoint: ignoring unexpected tensor '{}' in {}", name, checkpoint.file_of(name).string());
    }
  }

  const std::function<at::Tensor(const std::string&)> load = [&](const std::string& name) {
    c10::ScalarType required = *anchor_dtype;
    if (options.dtype && checkpoint.contains(name)) {
      // With a cast every float dtype is acceptable; read_tensor still rejects the others.
      const std::optional<c10::ScalarType> stored = torch_dtype_of(checkpoint.tensor(name).dtype);
      if (stored) required = *stored;
    }
    return read_tensor(checkpoint, config, name, required);
  };
  return assemble_weights(config, load, options.device, target);
}

LlamaWeights assemble_weights(const LlamaConfig& config, const std::function<at::Tensor(const std::string&)>& fetch,
                              c10::Device device, c10::ScalarType target) {
  c10::InferenceMode inference_mode;
  const auto place = [&](const at::Tensor& tensor) { return tensor.to(device, target).contiguous(); };
  const auto load = [&](const std::string& name) { return fetch(name).to(target); };
  LlamaWeights weights;
  weights.embed_tokens = place(load("model.embed_tokens.weight"));
  weights.layers.reserve(static_cast<std::size_t>(config.num_hidden_layers));
  for (std::int64_t layer = 0; layer < config.num_hidden_layers; ++layer) {
    const std::string prefix = layer_prefix(layer);
    LayerWeights layer_weights;
    layer_weights.input_norm = place(load(prefix + "input_layernorm.weight"));
    layer_weights.qkv_proj = place(
        at::cat({load(prefix + "self_attn.q_proj.weight"), load(prefix + "self_attn.k_proj.weight"),
                 load(prefix + "self_attn.v_proj.weight")},
                0));
    layer_weights.o_proj = place(load(prefix + "self_attn.o_proj.weight"));
    layer_weights.post_norm = place(load(prefix + "post_attention_layernorm.weight"));
    layer_weights.gate_up_proj = place(
        at::cat({load(prefix + "mlp.gate_proj.weight"), load(prefix + "mlp.up_proj.weight")}, 0));
    layer_weights.down_proj = place(load(prefix + "mlp.down_proj.weight"));
    weights.layers.push_back(std::move(layer_weights));
  }
  weights.final_norm = place(load("model.norm.weight"));
  weights.lm_head = config.tie_word_embeddings ? weights.embed_tokens : place(load("lm_head.weight"));
  return weights;
}

}  // namespace evomem::model
