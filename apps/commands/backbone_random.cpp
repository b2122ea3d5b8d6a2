// `evomem backbone random`: a checkpoint folder with random weights for a config.json (tests and
// benchmarks at real model shapes without downloading weights).

#include <filesystem>
#include <memory>

#include "apps/commands/commands.h"
#include "core/error.h"
#include "core/logging.h"
#include "model/config.h"
#include "model/random_checkpoint.h"

namespace evomem::apps {
namespace {

struct RandomOptions {
  std::string config;
  std::string out;
  std::uint64_t seed = 0;
  std::string dtype = "float32";
  std::int64_t shards = 1;
  bool overwrite = false;
};

// A folder that already holds weights (a trained checkpoint, say) is replaced only when asked.
void check_no_weights(const std::filesystem::path& out, bool overwrite) {
  if (!std::filesystem::exists(out)) return;
  if (!std::filesystem::is_directory(out)) throw InputError("--out " + out.string() + " exists and is not a folder");
  if (overwrite) return;
  for (const auto& entry : std::filesystem::directory_iterator(out)) {
    if (entry.path().extension() == ".safetensors") {
      throw InputError("--out " + out.string() + " already holds weights (" + entry.path().filename().string() +
                       "); give a new folder or --overwrite to replace them");
    }
  }
}

int run_random(const RandomOptions& random_options) {
  check_no_weights(random_options.out, random_options.overwrite);
  const model::LlamaConfig config = model::load_config(random_options.config);
  model::RandomCheckpointOptions options;
  options.seed = random_options.seed;
  options.dtype = model::parse_dtype(random_options.dtype);
  options.shards = random_options.shards;
  model::write_random_checkpoint(config, random_options.out, options);
  core::log::info("wrote {} ({} parameters)", random_options.out, config.parameter_count());
  return 0;
}

}  // namespace

void add_backbone_random_command(CommandRegistry& registry, CLI::App& parent) {
  auto options = std::make_shared<RandomOptions>();
  CLI::App& random = registry.add(parent, "random", "Write a checkpoint folder with random weights for a config.json",
                                  [options] { return run_random(*options); });
  random.add_option("--config", options->config, "config.json to build (LlamaForCausalLM)")->required();
  random.add_option("--out", options->out, "Output folder")->required();
  random.add_option("--seed", options->seed, "Random seed")->capture_default_str();
  random.add_option("--dtype", options->dtype, "Stored dtype: float32, bfloat16 or float16")->capture_default_str();
  random.add_option("--shards", options->shards, "Number of safetensors files")->capture_default_str();
  random.add_flag("--overwrite", options->overwrite, "Replace the weights of a folder that already holds some");
}

}  // namespace evomem::apps
