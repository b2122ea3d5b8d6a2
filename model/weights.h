#pragma once
// The backbone's parameters, loaded from the safetensors files of a Hugging Face checkpoint
// and laid out for fast inference: q/k/v and gate/up projections are concatenated so that
// each layer runs two large matrix products where the checkpoint has five.

#include <ATen/core/Tensor.h>
#include <c10/core/Device.h>
#include <c10/core/ScalarType.h>

#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "core/safetensors.h"
#include "model/config.h"

namespace evomem::model {

// One decoder layer. Linear weights are [out, in] as in the checkpoint.
struct LayerWeights {
  at::Tensor input_norm;    // [hidden]
  at::Tensor qkv_proj;      // [(heads + 2 * kv_heads) * head_dim, hidden]
  at::Tensor o_proj;        // [hidden, heads * head_dim]
  at::Tensor post_norm;     // [hidden]
  at::Tensor gate_up_proj;  // [2 * intermediate, hidden]
  at::Tensor down_proj;     // [hidden, intermediate]
};

struct LlamaWeights {
  at::Tensor embed_tokens;  // [vocab, hidden]
  std::vector<LayerWeights> layers;
  at::Tensor final_norm;  // [hidden]
  at::Tensor lm_head;     // [vocab, hidden]; the same tensor as embed_tokens when tied
};

struct LoadOptions {
  c10::Device device = c10::Device(c10::kCPU);
  // Cast every tensor to this dtype; by default the dtype stored in the checkpoint is kept.
  std::optional<c10::ScalarType> dtype;
};

// "cpu", "cuda", "cuda:1" -> device; InputError otherwise (or when CUDA is unavailable).
c10::Device parse_device(const std::string& text);
// "float32"/"fp32", "bfloat16"/"bf16", "float16"/"fp16" -> dtype; InputError otherwise.
c10::ScalarType parse_dtype(const std::string& text);
std::string dtype_to_string(c10::ScalarType dtype);

// Names of the tensors a checkpoint of `config` must contain, in a stable order.
std::vector<std::string> expected_tensor_names(const LlamaConfig& config);

// FormatError naming the file, the tensor and config.json when the checkpoint's tensors do not
// fit the configuration: a tensor missing or of another shape, or layers beyond
// num_hidden_layers (a config.json that describes another model). Reads headers only.
void check_tensors_fit_config(const core::SafetensorsCheckpoint& checkpoint, const LlamaConfig& config,
                              const std::filesystem::path& checkpoint_dir);
// The shape each of those tensors must have.
std::vector<std::int64_t> expected_tensor_shape(const LlamaConfig& config, const std::string& name);

// Reads model.safetensors or the shards listed in model.safetensors.index.json under
// `checkpoint_dir`. Every tensor is checked for presence, shape and dtype (F32, BF16, F16);
// errors name the tensor and its file. Without options.dtype all tensors must share a dtype.
LlamaWeights load_weights(const std::filesystem::path& checkpoint_dir, const LlamaConfig& config,
                          const LoadOptions& options = {});

// Builds the fused layout from tensors named as in a checkpoint; `fetch(name)` returns a
// tensor already checked against expected_tensor_shape (any float dtype, any device).
LlamaWeights assemble_weights(const LlamaConfig& config, const std::function<at::Tensor(const std::string&)>& fetch,
                              c10::Device device, c10::ScalarType dtype);

}  // namespace evomem::model
