// `evomem tokenize`: token ids of text lines with a Hugging Face tokenizer.json, or (with
// --decode) the text of id arrays. One output line per input line, so results line up with
// their inputs and can be diffed against other tokenizers.

#include <fstream>
#include <iostream>
#include <memory>
#include <string>

#include "apps/commands/commands.h"
#include "core/error.h"
#include "core/json_file.h"
#include "model/tokenizer.h"

namespace evomem::apps {
namespace {

struct TokenizeOptions {
  std::string tokenizer_path;
  std::string text_file;
  bool no_bos = false;
  bool decode = false;
  bool skip_special_tokens = false;
};

int run_tokenize(const TokenizeOptions& options) {
  const model::Tokenizer tokenizer = model::Tokenizer::load(options.tokenizer_path);
  std::ifstream file;
  if (!options.text_file.empty()) {
    file.open(options.text_file, std::ios::binary);
    if (!file) throw InputError(options.text_file + ": cannot be read; check --text-file");
  }
  std::istream& input = options.text_file.empty() ? std::cin : file;
  const std::string source = options.text_file.empty() ? "standard input" : options.text_file;

  model::DecodeOptions decode_options;
  decode_options.skip_special_tokens = options.skip_special_tokens;
  std::string line;
  std::string out;
  std::size_t line_number = 0;
  while (std::getline(input, line)) {
    ++line_number;
    out.clear();
    if (options.decode) {
      const core::Json ids = core::parse_json(line, source + " line " + std::to_string(line_number));
      if (!ids.is_array()) {
        throw InputError(source + " line " + std::to_string(line_number) + ": --decode expects a JSON array of ids");
      }
      std::vector<model::TokenId> values;
      for (const core::Json& id : ids) {
        if (!id.is_number_integer()) {
          throw InputError(source + " line " + std::to_string(line_number) + ": ids must be integers, got " +
                           id.dump());
        }
        values.push_back(id.get<model::TokenId>());
      }
      out = core::Json(tokenizer.decode(values, decode_options))
                .dump(-1, ' ', false, core::Json::error_handler_t::replace);
    } else {
      const auto ids = tokenizer.encode(line, !options.no_bos);
      out.push_back('[');
      for (std::size_t i = 0; i < ids.size(); ++i) {
        if (i > 0) out.push_back(',');
        out += std::to_string(ids[i]);
      }
      out.push_back(']');
    }
    out.push_back('\n');
    std::cout.write(out.data(), static_cast<std::streamsize>(out.size()));
  }
  std::cout.flush();
  return 0;
}

}  // namespace

void add_tokenize_command(CommandRegistry& registry, CLI::App& parent) {
  auto options = std::make_shared<TokenizeOptions>();
  auto& tokenize = registry.add(parent, "tokenize",
                                "Print the token ids of each input line as a JSON array (or decode id arrays)",
                                [options]() { return run_tokenize(*options); });
  tokenize.add_option("--tokenizer", options->tokenizer_path, "tokenizer.json, or a folder holding it")->required();
  tokenize.add_option("--text-file", options->text_file, "Input lines (default: standard input)");
  tokenize.add_flag("--no-bos", options->no_bos, "Do not add the BOS/EOS tokens the post-processor would add");
  tokenize.add_flag("--decode", options->decode, "Read JSON arrays of ids and print their text as JSON strings");
  tokenize.add_flag("--skip-special-tokens", options->skip_special_tokens, "With --decode: leave special tokens out");
}

}  // namespace evomem::apps
