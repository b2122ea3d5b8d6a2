// `evomem backbone info`: shapes, parameter count, dtype and tokenizer of a checkpoint folder.

#include <filesystem>
#include <iostream>
#include <map>
#include <memory>

#include "apps/commands/commands.h"
#include "core/json_file.h"
#include "core/safetensors.h"
#include "model/config.h"
#include "model/tokenizer.h"
#include "model/weights.h"

namespace evomem::apps {
namespace {

namespace fs = std::filesystem;

struct InfoOptions {
  std::string directory;
  bool as_json = false;
};

int backbone_info(const InfoOptions& options) {
  const std::string& directory = options.directory;
  const bool as_json = options.as_json;
  const model::LlamaConfig config = model::load_config(directory);
  const core::SafetensorsCheckpoint checkpoint(directory);
  model::check_tensors_fit_config(checkpoint, config, directory);
  std::map<std::string, std::int64_t> dtype_counts;
  for (const std::string& name : checkpoint.names()) dtype_counts[core::dtype_name(checkpoint.tensor(name).dtype)] += 1;
  std::string stored;
  for (const auto& [dtype, count] : dtype_counts)
    stored += (stored.empty() ? "" : ", ") + dtype + " x" + std::to_string(count);
  std::string tokenizer = "absent";
  const fs::path tokenizer_file = fs::path(directory) / "tokenizer.json";
  if (fs::exists(tokenizer_file)) tokenizer = model::Tokenizer::load(tokenizer_file).summary();

  const auto& scaling = config.rope_scaling;
  core::Json info = {
      {"vocab_size", config.vocab_size},
      {"hidden_size", config.hidden_size},
      {"intermediate_size", config.intermediate_size},
      {"num_hidden_layers", config.num_hidden_layers},
      {"num_attention_heads", config.num_attention_heads},
      {"num_key_value_heads", config.num_key_value_heads},
      {"head_dim", config.head_dim},
      {"rms_norm_eps", config.rms_norm_eps},
      {"rope_theta", config.rope_theta},
      {"rope_scaling", model::rope_scaling_name(scaling.type)},
      {"rope_scaling_factor", scaling.factor},
      {"max_position_embeddings", config.max_position_embeddings},
      {"tie_word_embeddings", config.tie_word_embeddings},
      {"bos_token_ids", config.bos_token_ids},
      {"eos_token_ids", config.eos_token_ids},
      {"torch_dtype", config.torch_dtype},
      {"stored_dtypes", stored},
      {"parameters", config.parameter_count()},
      {"tensors", checkpoint.names().size()},
      {"shards", checkpoint.shard_count()},
      {"tokenizer", tokenizer},
  };
  if (as_json) {
    std::cout << info.dump() << "\n";
    return 0;
  }
  std::cout << "checkpoint      " << directory << "\n"
            << "layers          " << config.num_hidden_layers << "\n"
            << "hidden          " << config.hidden_size << " (intermediate " << config.intermediate_size << ")\n"
            << "heads           " << config.num_attention_heads << " query, " << config.num_key_value_heads
            << " key/value, head_dim " << config.head_dim << "\n"
            << "vocabulary      " << config.vocab_size << (config.tie_word_embeddings ? " (tied embeddings)" : "")
            << "\n"
            << "rope            theta " << config.rope_theta << ", scaling " << model::rope_scaling_name(scaling.type);
  if (scaling.type != model::RopeScaling::Type::kNone) std::cout << " x" << scaling.factor;
  std::cout << ", max positions " << config.max_position_embeddings << "\n"
            << "parameters      " << config.parameter_count() << "\n"
            << "dtype           " << config.torch_dtype << " (stored: " << stored << ") in " << checkpoint.shard_count()
            << " file(s)\n"
            << "tokenizer       " << tokenizer << "\n";
  return 0;
}

}  // namespace

void add_backbone_info_command(CommandRegistry& registry, CLI::App& parent) {
  auto options = std::make_shared<InfoOptions>();
  CLI::App& info = registry.add(parent, "info", "Shapes, parameter count, dtype and tokenizer of a checkpoint folder",
                                [options] { return backbone_info(*options); });
  info.add_option("DIR", options->directory, "Hugging Face checkpoint folder")->required();
  info.add_flag("--json", options->as_json, "One JSON object instead of text");
}

}  // namespace evomem::apps
