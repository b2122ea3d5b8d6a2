#pragma once
// The backbone's architecture, read from a Hugging Face `config.json` (LlamaForCausalLM).
// Only what the forward pass needs is kept; everything is validated when the file is read so
// that a bad checkpoint fails before any weight is touched.

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "core/json_file.h"

namespace evomem::model {

// How RoPE frequencies are adjusted for contexts longer than the training length
// (`rope_scaling` in config.json; the formulas follow Hugging Face transformers).
struct RopeScaling {
  enum class Type { kNone, kLinear, kDynamic, kLlama3 };
  Type type = Type::kNone;
  double factor = 1.0;
  // llama3 only.
  double low_freq_factor = 1.0;
  double high_freq_factor = 4.0;
  // llama3 (required) and dynamic (optional; defaults to max_position_embeddings).
  std::int64_t original_max_position_embeddings = 0;
};

const char* rope_scaling_name(RopeScaling::Type type);

// A Llama architecture (Llama 2, Llama 3, 3.1, 3.2, and small random variants of them).
struct LlamaConfig {
  std::int64_t vocab_size = 0;
  std::int64_t hidden_size = 0;
  std::int64_t intermediate_size = 0;
  std::int64_t num_hidden_layers = 0;
  std::int64_t num_attention_heads = 0;
  std::int64_t num_key_value_heads = 0;
  std::int64_t head_dim = 0;
  double rms_norm_eps = 1e-6;
  double rope_theta = 10000.0;
  RopeScaling rope_scaling;
  std::int64_t max_position_embeddings = 2048;
  bool tie_word_embeddings = false;
  std::vector<std::int64_t> bos_token_ids;
  std::vector<std::int64_t> eos_token_ids;
  // "float32", "bfloat16" or "float16": the dtype the checkpoint was published in.
  std::string torch_dtype = "float32";

  std::int64_t group_size() const { return num_attention_heads / num_key_value_heads; }
  // Parameters of the model (lm_head counted once when tied).
  std::int64_t parameter_count() const;
};

// Reads `config.json` (a file, or a checkpoint folder containing it). ConfigError naming the
// file and the field for missing, mistyped or inconsistent fields and unknown architectures.
LlamaConfig load_config(const std::filesystem::path& path);
// Same from a parsed document; `where` names its origin in messages.
LlamaConfig parse_config(const core::Json& document, const std::string& where);
// The config.json content that load_config reads back to `config` (used to write checkpoints).
core::Json config_to_json(const LlamaConfig& config);

}  // namespace evomem::model
