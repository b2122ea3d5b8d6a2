#pragma once
// Random Llama checkpoints for tests, benchmarks and smoke runs: the tensors a real
// checkpoint of the same config would hold (Hugging Face names and shapes), drawn from a
// seeded generator, and a writer that produces a real checkpoint folder (config.json +
// model.safetensors, or shards + model.safetensors.index.json) loadable by transformers.

#include <ATen/core/Tensor.h>
#include <c10/core/ScalarType.h>

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>

#include "model/config.h"
#include "model/weights.h"

namespace evomem::model {

// Tensors by checkpoint name, float32 on the CPU. Linear weights ~ N(0, 1/fan_in), embeddings
// ~ N(0, 1), norm weights ~ 1 + N(0, 0.1^2), so logits are O(1) and argmax is decisive.
// Each tensor has its own generator seeded from (seed, name), so shapes of other tensors
// do not change it.
std::map<std::string, at::Tensor> random_checkpoint_tensors(const LlamaConfig& config, std::uint64_t seed);

// The same weights directly in the fused inference layout (no file round trip).
LlamaWeights random_weights(const LlamaConfig& config, std::uint64_t seed, c10::Device device, c10::ScalarType dtype);

struct RandomCheckpointOptions {
  std::uint64_t seed = 0;
  c10::ScalarType dtype = c10::kFloat;  // stored dtype (also written as torch_dtype)
  std::int64_t shards = 1;              // > 1: model-0000i-of-0000n.safetensors + index
};

// Writes config.json and the weights into `directory` (created if needed).
void write_random_checkpoint(const LlamaConfig& config, const std::filesystem::path& directory,
                             const RandomCheckpointOptions& options = {});

}  // namespace evomem::model
