#include "apps/backbone_loading.h"

#include <sstream>
#include <string>

#include "core/error.h"
#include "core/files.h"
#include "core/json_file.h"

namespace evomem::apps {
namespace fs = std::filesystem;

void add_load_flags(CLI::App& command, LoadFlags& flags) {
  command.add_option("--device", flags.device, "cpu, cuda or cuda:N")->capture_default_str();
  command.add_option("--dtype", flags.dtype, "Cast weights to float32, bfloat16 or float16 (default: as stored)");
  add_threads_flag(command, flags.threads);
}

void add_threads_flag(CLI::App& command, int& threads) {
  const auto in_range = [](const std::string& text) -> std::string {
    std::size_t used = 0;
    long long value = 0;
    try {
      value = std::stoll(text, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    if (used == text.size() && value >= 1 && value <= model::kMaxThreads) return "";
    return "must be a whole number 1.." + std::to_string(model::kMaxThreads) + ", got '" + text + "'";
  };
  command
      .add_option("--threads", threads,
                  "Threads of LibTorch, OpenMP and OpenBLAS (one is fastest on a busy machine; docs/model.md)")
      ->check(CLI::Validator(in_range, "1.." + std::to_string(model::kMaxThreads)))
      ->capture_default_str();
}

model::Backbone load_backbone(const fs::path& checkpoint_dir, const LoadFlags& flags) {
  model::LoadOptions options;
  options.device = model::parse_device(flags.device);
  if (!flags.dtype.empty()) options.dtype = model::parse_dtype(flags.dtype);
  model::apply_threads(flags.threads);
  return model::Backbone::load(checkpoint_dir, options);
}

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

}  // namespace evomem::apps
