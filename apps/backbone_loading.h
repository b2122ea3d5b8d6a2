#pragma once
// What the commands that load a checkpoint folder share: --device/--dtype/--threads, token-id
// files and the tokenizer next to the weights.

#include <CLI/CLI.hpp>

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "model/backbone.h"
#include "model/threads.h"

namespace evomem::apps {

struct LoadFlags {
  std::string device = "cpu";
  std::string dtype;  // empty: as stored
  int threads = model::kDefaultThreads;
};

// Adds --device, --dtype and --threads to `command`.
void add_load_flags(CLI::App& command, LoadFlags& flags);
// Adds --threads, checked to be 1..model::kMaxThreads when parsed; the command passes it to
// model::apply_threads before its model loads.
void add_threads_flag(CLI::App& command, int& threads);
// Applies --threads (model::apply_threads), then loads the checkpoint folder with --device and
// --dtype.
model::Backbone load_backbone(const std::filesystem::path& checkpoint_dir, const LoadFlags& flags);

// A tokens file holds one JSON array of ids, or ids separated by white space or commas.
std::vector<std::int64_t> read_tokens_file(const std::filesystem::path& path);

// `explicit_path` if given, else the checkpoint folder's tokenizer.json if there is one.
std::optional<std::filesystem::path> tokenizer_path(const std::filesystem::path& backbone_dir,
                                                    const std::string& explicit_path);

}  // namespace evomem::apps
