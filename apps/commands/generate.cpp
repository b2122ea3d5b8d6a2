// `evomem generate`: greedy generation from a checkpoint folder, one JSON line per prompt.

#include <algorithm>
#include <filesystem>
#include <iostream>
#include <memory>
#include <sstream>

#include "apps/backbone_loading.h"
#include "apps/commands/commands.h"
#include "core/error.h"
#include "core/files.h"
#include "core/json_file.h"
#include "model/backbone.h"
#include "model/config.h"
#include "model/generation.h"
#include "model/tokenizer.h"

namespace evomem::apps {
namespace {

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

// The longest prompt plus the answer must stay within the positions the model was built for:
// checked before the model loads, so an absurd --max-new-tokens fails at once.
void check_positions(const GenerateOptions& o, const std::vector<std::vector<std::int64_t>>& prompts) {
  if (o.max_new_tokens < 0) throw InputError("--max-new-tokens must not be negative");
  std::size_t longest = 0;
  for (const auto& prompt : prompts) longest = std::max(longest, prompt.size());
  const auto limit = model::load_config(std::filesystem::path(o.backbone) / "config.json").max_position_embeddings;
  const auto prompt_tokens = static_cast<std::int64_t>(longest);
  if (prompt_tokens + o.max_new_tokens > limit) {
    throw InputError("--max-new-tokens " + std::to_string(o.max_new_tokens) + ": the prompt (" +
                     std::to_string(prompt_tokens) + " tokens) and the answer would pass the model's " +
                     "max_position_embeddings (" + std::to_string(limit) + ", config.json); ask for at most " +
                     std::to_string(std::max<std::int64_t>(limit - prompt_tokens, 0)));
  }
}

int run_generate(const GenerateOptions& o) {
  if (o.prompt_file.empty() == o.tokens_file.empty()) {
    throw InputError("generate: give exactly one of --prompt-file and --tokens-file");
  }
  if (!std::filesystem::is_directory(o.backbone)) {
    throw InputError("--backbone " + o.backbone + ": no such checkpoint folder; check the path");
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
  check_positions(o, prompts);
  model::Backbone backbone = load_backbone(o.backbone, o.load);
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
}

}  // namespace

void add_generate_command(CommandRegistry& registry, CLI::App& parent) {
  auto options = std::make_shared<GenerateOptions>();
  CLI::App& generate = registry.add(parent, "generate", "Greedy generation from a checkpoint folder",
                                    [options] { return run_generate(*options); });
  generate.add_option("--backbone", options->backbone, "Checkpoint folder")->required();
  generate.add_option("--prompt-file", options->prompt_file,
                      "Prompt text (the whole file, or one per line with --lines)");
  generate.add_option("--tokens-file", options->tokens_file, "Prompt token ids instead of text");
  generate.add_option("--tokenizer", options->tokenizer, "tokenizer.json (default: the one in the checkpoint folder)");
  generate.add_flag("--lines", options->lines, "Each non-empty line of the prompt file is one prompt (one batch)");
  generate.add_flag("--no-bos", options->no_bos, "Do not add the tokenizer's BOS/EOS tokens to prompts");
  generate.add_option("--max-new-tokens", options->max_new_tokens, "Tokens to generate at most")->capture_default_str();
  generate.add_option("--chunk-size", options->chunk_size, "Prefill chunk")->capture_default_str();
  generate.add_option("--stop", options->stop_strings, "Stop once the generated text contains this (repeatable)");
  generate.add_option("--stop-id", options->stop_ids, "Extra stop token id besides config.json's EOS (repeatable)");
  add_load_flags(generate, options->load);
}

}  // namespace evomem::apps
