// `evomem backbone info|logits|random` and `evomem generate`: inspect, cross-check and run a
// Llama checkpoint folder (docs/model.md).

#include <cctype>
#include <filesystem>
#include <iostream>
#include <memory>
#include <sstream>

#include <ATen/ATen.h>

#include "apps/command_registry.h"
#include "core/error.h"
#include "core/files.h"
#include "core/json_file.h"
#include "core/logging.h"
#include "core/safetensors.h"
#include "model/backbone.h"
#include "model/generation.h"
#include "model/random_checkpoint.h"
#include "model/tokenizer.h"

namespace evomem::apps {
namespace {
namespace fs = std::filesystem;

struct LoadFlags {
  std::string device = "cpu";
  std::string dtype;  // empty: as stored
};

void add_load_flags(CLI::App& command, LoadFlags& flags) {
  command.add_option("--device", flags.device, "cpu, cuda or cuda:N")->capture_default_str();
  command.add_option("--dtype", flags.dtype, "Cast weights to float32, bfloat16 or float16 (default: as stored)");
}

model::LoadOptions load_options(const LoadFlags& flags) {
  model::LoadOptions options;
  options.device = model::parse_device(flags.device);
  if (!flags.dtype.empty()) options.dtype = model::parse_dtype(flags.dtype);
  return options;
}

// A tokens file holds one JSON array of ids, or ids separated by white space or commas.
std::vector<std::int64_t> read_tokens_file(const fs::path& path) {
  const std::string text = core::read_text_file(path);
  const std::size_t first = text.find_first_not_of(" \t\r\n");
  std::vector<std::int64_t> ids;
  if (first != std::string::npos && text[first] == '[') {
    const core::Json json = core::parse_json(text, path.string());
    for (const core::Json& item : json) {
      if (!item.is_number_integer()) throw InputError(path.string() + ": token ids must be integers");
      ids.push_back(item.get<std::int64_t>());
    }
  } else {
    std::string cleaned = text;
    for (char& c : cleaned) {
      if (c == ',') c = ' ';
    }
    std::istringstream stream(cleaned);
    std::string word;
    while (stream >> word) {
      std::size_t used = 0;
      std::int64_t id = 0;
      try {
        id = std::stoll(word, &used);
      } catch (const std::exception&) {
        used = 0;
      }
      if (used != word.size()) throw InputError(path.string() + ": '" + word + "' is not a token id");
      ids.push_back(id);
    }
  }
  if (ids.empty()) throw InputError(path.string() + ": no token ids");
  return ids;
}

std::optional<fs::path> tokenizer_path(const fs::path& backbone_dir, const std::string& explicit_path) {
  if (!explicit_path.empty()) return fs::path(explicit_path);
  if (fs::exists(backbone_dir / "tokenizer.json")) return backbone_dir / "tokenizer.json";
  return std::nullopt;
}

int backbone_info(const std::string& directory, bool as_json) {
  const model::LlamaConfig config = model::load_config(directory);
  const core::SafetensorsCheckpoint checkpoint(directory);
  std::map<std::string, std::int64_t> dtype_counts;
  for (const std::string& name : checkpoint.names()) dtype_counts[core::dtype_name(checkpoint.tensor(name).dtype)] += 1;
  std::string stored;
  for (const auto& [dtype, count] : dtype_counts) stored += (stored.empty() ? "" : ", ") + dtype + " x" + std::to_string(count);
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
            << "vocabulary      " << config.vocab_size << (config.tie_word_embeddings ? " (tied embeddings)" : "") << "\n"
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

void register_model_commands(CommandRegistry& registry) {
  CLI::App& group = registry.add_group(registry.root(), "backbone", "Inspect, check and create Llama checkpoint folders");

  auto info_directory = std::make_shared<std::string>();
  auto info_json = std::make_shared<bool>(false);
  CLI::App& info = registry.add(group, "info", "Shapes, parameter count, dtype and tokenizer of a checkpoint folder",
                                [info_directory, info_json] { return backbone_info(*info_directory, *info_json); });
  info.add_option("DIR", *info_directory, "Hugging Face checkpoint folder")->required();
  info.add_flag("--json", *info_json, "One JSON object instead of text");

  struct LogitsOptions {
    std::string backbone;
    std::string tokens_file;
    std::int64_t chunk_size = 512;
    LoadFlags load;
  };
  auto logits_options = std::make_shared<LogitsOptions>();
  CLI::App& logits = registry.add(group, "logits", "Last-position logits of a token sequence, as JSON", [logits_options] {
    const auto ids = read_tokens_file(logits_options->tokens_file);
    model::Backbone backbone = model::Backbone::load(logits_options->backbone, load_options(logits_options->load));
    backbone.reset(1);
    model::PrefillOptions prefill;
    prefill.chunk_size = logits_options->chunk_size;
    const at::Tensor values = backbone.prefill(at::tensor(ids, at::kLong).unsqueeze(0), prefill)[0].to(at::kCPU).contiguous();
    const float* data = values.data_ptr<float>();
    core::Json output = {{"position", static_cast<std::int64_t>(ids.size()) - 1},
                         {"argmax", values.argmax().item<std::int64_t>()},
                         {"logits", std::vector<float>(data, data + values.numel())}};
    std::cout << output.dump() << "\n";
    return 0;
  });
  logits.add_option("--backbone", logits_options->backbone, "Checkpoint folder")->required();
  logits.add_option("--tokens-file", logits_options->tokens_file, "Token ids: a JSON array or white-space separated")
      ->required();
  logits.add_option("--chunk-size", logits_options->chunk_size, "Prefill chunk (0: one step)")->capture_default_str();
  add_load_flags(logits, logits_options->load);

  struct RandomOptions {
    std::string config;
    std::string out;
    std::uint64_t seed = 0;
    std::string dtype = "float32";
    std::int64_t shards = 1;
  };
  auto random_options = std::make_shared<RandomOptions>();
  CLI::App& random = registry.add(group, "random", "Write a checkpoint folder with random weights for a config.json",
                                  [random_options] {
                                    const model::LlamaConfig config = model::load_config(random_options->config);
                                    model::RandomCheckpointOptions options;
                                    options.seed = random_options->seed;
                                    options.dtype = model::parse_dtype(random_options->dtype);
                                    options.shards = random_options->shards;
                                    model::write_random_checkpoint(config, random_options->out, options);
                                    core::log::info("wrote {} ({} parameters)", random_options->out, config.parameter_count());
                                    return 0;
                                  });
  random.add_option("--config", random_options->config, "config.json to build (LlamaForCausalLM)")->required();
  random.add_option("--out", random_options->out, "Output folder")->required();
  random.add_option("--seed", random_options->seed, "Random seed")->capture_default_str();
  random.add_option("--dtype", random_options->dtype, "Stored dtype: float32, bfloat16 or float16")->capture_default_str();
  random.add_option("--shards", random_options->shards, "Number of safetensors files")->capture_default_str();

  struct GenerateOptions {
    std::string backbone;
    std::string prompt_file;
    std::string tokens_file;
    std::string tokenizer;
    bool lines = false;
    bool no_bos = false;
    std::int64_t max_new_tokens = 64;
    std::int64_t chunk_size = 512;
    std::vector<std::string> stop_strings;
    std::vector<std::int64_t> stop_ids;
    LoadFlags load;
  };
  auto generate_options = std::make_shared<GenerateOptions>();
  CLI::App& generate = registry.add(registry.root(), "generate", "Greedy generation from a checkpoint folder", [generate_options] {
    const GenerateOptions& o = *generate_options;
    if (o.prompt_file.empty() == o.tokens_file.empty()) {
      throw InputError("generate: give exactly one of --prompt-file and --tokens-file");
    }
    std::unique_ptr<model::Tokenizer> tokenizer;
    if (const auto path = tokenizer_path(o.backbone, o.tokenizer)) {
      tokenizer = std::make_unique<model::Tokenizer>(model::Tokenizer::load(*path));
    }
    std::vector<std::vector<std::int64_t>> prompts;
    if (!o.prompt_file.empty()) {
      if (!tokenizer) {
        throw InputError(o.backbone + ": no tokenizer.json in the checkpoint folder; pass --tokenizer or --tokens-file");
      }
      const std::string text = core::read_text_file(o.prompt_file);
      std::vector<std::string> texts;
      if (o.lines) {
        std::istringstream stream(text);
        for (std::string line; std::getline(stream, line);) {
          if (!line.empty()) texts.push_back(line);
        }
      } else {
        texts.push_back(text);
      }
      for (const std::string& prompt : texts) prompts.push_back(tokenizer->encode(prompt, !o.no_bos));
    } else {
      prompts.push_back(read_tokens_file(o.tokens_file));
    }
    model::Backbone backbone = model::Backbone::load(o.backbone, load_options(o.load));
    model::GenerationOptions options;
    options.max_new_tokens = o.max_new_tokens;
    options.chunk_size = o.chunk_size;
    options.stop_strings = o.stop_strings;
    options.stop_token_ids = o.stop_ids;
    if (tokenizer) {
      const model::Tokenizer* decoder = tokenizer.get();
      options.decode = [decoder](const std::vector<std::int64_t>& ids) {
        model::DecodeOptions decode_options;
        decode_options.skip_special_tokens = true;
        return decoder->decode(ids, decode_options);
      };
    }
    const auto results = model::generate(backbone, prompts, options);
    for (std::size_t i = 0; i < results.size(); ++i) {
      core::Json line = {{"prompt_tokens", prompts[i].size()},
                         {"tokens", results[i].tokens},
                         {"stop_reason", model::stop_reason_name(results[i].stop_reason)}};
      if (tokenizer) line["text"] = results[i].text;
      std::cout << line.dump() << "\n";
    }
    return 0;
  });
  generate.add_option("--backbone", generate_options->backbone, "Checkpoint folder")->required();
  generate.add_option("--prompt-file", generate_options->prompt_file, "Prompt text (the whole file, or one per line with --lines)");
  generate.add_option("--tokens-file", generate_options->tokens_file, "Prompt token ids instead of text");
  generate.add_option("--tokenizer", generate_options->tokenizer, "tokenizer.json (default: the one in the checkpoint folder)");
  generate.add_flag("--lines", generate_options->lines, "Each non-empty line of the prompt file is one prompt (one batch)");
  generate.add_flag("--no-bos", generate_options->no_bos, "Do not add the tokenizer's BOS/EOS tokens to prompts");
  generate.add_option("--max-new-tokens", generate_options->max_new_tokens, "Tokens to generate at most")->capture_default_str();
  generate.add_option("--chunk-size", generate_options->chunk_size, "Prefill chunk")->capture_default_str();
  generate.add_option("--stop", generate_options->stop_strings, "Stop once the generated text contains this (repeatable)");
  generate.add_option("--stop-id", generate_options->stop_ids, "Extra stop token id besides config.json's EOS (repeatable)");
  add_load_flags(generate, generate_options->load);
}

}  // namespace evomem::apps
