// `evomem tasks make`: seeded synthetic long-context samples (LongBench JSONL).

#include <cstdio>
#include <memory>

#include "apps/commands/commands.h"
#include "core/files.h"
#include "core/text.h"
#include "model/tokenizer.h"
#include "tasks/synthetic/generators.h"
#include "tasks/synthetic/suite.h"
#include "tasks/synthetic/tokenizer.h"

namespace evomem::apps {
namespace {

struct MakeOptions {
  std::string task;
  std::size_t length = 4096;
  std::size_t samples = 10;
  std::uint64_t seed = 0;
  double depth = -1.0;  // negative: evenly spread
  std::string tokenizer;
  std::string out;
};

int make_samples(const MakeOptions& options) {
  core::check_output_file(options.out, "--out");
  const auto tokenizer = model::Tokenizer::load(options.tokenizer);
  tasks::SyntheticOptions synthetic;
  synthetic.task = options.task;
  synthetic.length = options.length;
  synthetic.samples = options.samples;
  synthetic.seed = options.seed;
  if (options.depth >= 0.0) synthetic.depth = options.depth;
  const auto samples = tasks::generate_synthetic(synthetic, tasks::synthetic_tokenizer(tokenizer));
  tasks::write_synthetic_jsonl(samples, options.out);
  std::printf("%s: %zu samples of %zu tokens -> %s\n", options.task.c_str(), samples.size(), options.length,
              options.out.c_str());
  return 0;
}

}  // namespace

void add_tasks_make_command(CommandRegistry& registry, CLI::App& parent) {
  auto options = std::make_shared<MakeOptions>();
  CLI::App& make = registry.add(parent, "make", "Generate seeded synthetic long-context samples (LongBench JSONL)",
                                [options] { return make_samples(*options); });
  make.add_option("--task", options->task, "One of: " + core::join(tasks::synthetic_task_names()))->required();
  make.add_option("--length", options->length, "Prompt tokens (template filled, no BOS), within 1%")->required();
  make.add_option("--samples", options->samples, "Number of samples")->capture_default_str();
  make.add_option("--seed", options->seed, "Seed; the same seed gives byte-identical files")->capture_default_str();
  make.add_option("--depth", options->depth, "Depth 0..1 of the queried needle (default: evenly spread)");
  make.add_option("--tokenizer", options->tokenizer, "tokenizer.json (or a checkpoint folder) measuring lengths")
      ->required();
  make.add_option("--out", options->out, "Output JSONL file")->required();
}

}  // namespace evomem::apps
