#include "model/random_checkpoint.h"

#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>
#include <c10/core/InferenceMode.h>

#include <cstdio>
#include <functional>

#include "core/error.h"
#include "core/files.h"
#include "core/json_file.h"
#include "core/safetensors.h"

namespace evomem::model {

namespace {

at::Tensor random_tensor(const LlamaConfig& config, const std::string& name, std::uint64_t seed) {
  const std::vector<std::int64_t> shape = expected_tensor_shape(config, name);
  at::Generator generator = at::make_generator<at::CPUGeneratorImpl>(
      seed ^ (std::hash<std::string>{}(name)*0x9E3779B97F4A7C15ULL));
  const auto options = at::TensorOptions().dtype(at::kFloat);
  const bool is_norm = name.find("norm") != std::string::npos;
  if (is_norm) return 1.0 + 0.1 * at::normal(0.0, 1.0, shape, generator, options);
  if (name == "model.embed_tokens.weight") return at::normal(0.0, 1.0, shape, generator, options);
  const double std_dev = 1.0 / std::sqrt(static_cast<double>(shape.back()));
  return at::normal(0.0, std_dev, shape, generator, options);
}

core::DType file_dtype(c10::ScalarType dtype) {
  switch (dtype) {
    case c10::kFloat: return core::DType::kF32;
    case c10::kBFloat16: return core::DType::kBF16;
    case c10::kHalf: return core::DType::kF16;
    default: throw InputError("random checkpoints are written as float32, bfloat16 or float16");
  }
}

}  // namespace

std::map<std::string, at::Tensor> random_checkpoint_tensors(const LlamaConfig& config, std::uint64_t seed) {
  c10::InferenceMode inference_mode;
  std::map<std::string, at::Tensor> tensors;
  for (const std::string& name : expected_tensor_names(config)) tensors[name] = random_tensor(config, name, seed);
  return tensors;
}

LlamaWeights random_weights(const LlamaConfig& config, std::uint64_t seed, c10::Device device, c10::ScalarType dtype) {
  return assemble_weights(
      config, [&](const std::string& name) { return random_tensor(config, name, seed); }, device, dtype);
}

void write_random_checkpoint(const LlamaConfig& config, const std::filesystem::path& directory,
                             const RandomCheckpointOptions& options) {
  c10::InferenceMode inference_mode;
  if (options.shards < 1) throw InputError("random checkpoint: shards must be at least 1");
  const core::DType dtype = file_dtype(options.dtype);
  std::filesystem::create_directories(directory);

  LlamaConfig written = config;
  written.torch_dtype = dtype_to_string(options.dtype);
  core::write_text_file_atomically(directory / "config.json", config_to_json(written).dump(2) + "\n");

  const std::vector<std::string> names = expected_tensor_names(config);
  const std::size_t shard_count = static_cast<std::size_t>(options.shards);
  const std::size_t per_shard = (names.size() + shard_count - 1) / shard_count;
  core::Json weight_map = core::Json::object();
  for (std::size_t shard = 0; shard < shard_count; ++shard) {
    core::SafetensorsWriter writer;
    writer.set_metadata("format", "pt");
    char file_name[64];
    if (shard_count == 1) {
      std::snprintf(file_name, sizeof(file_name), "model.safetensors");
    } else {
      std::snprintf(file_name, sizeof(file_name), "model-%05zu-of-%05zu.safetensors", shard + 1, shard_count);
    }
    for (std::size_t i = shard * per_shard; i < std::min(names.size(), (shard + 1) * per_shard); ++i) {
      const at::Tensor tensor = random_tensor(config, names[i], options.seed).to(options.dtype).contiguous();
      writer.add(names[i], dtype, tensor.sizes().vec(), tensor.data_ptr(), static_cast<std::size_t>(tensor.nbytes()));
      weight_map[names[i]] = file_name;
    }
    writer.write(directory / file_name);
  }
  if (shard_count > 1) {
    const core::Json index = {{"metadata", core::Json::object()}, {"weight_map", weight_map}};
    core::write_text_file_atomically(directory / "model.safetensors.index.json", index.dump(2) + "\n");
  }
}

}  // namespace evomem::model
