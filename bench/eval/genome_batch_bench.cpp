// Population-batched NAMM evaluation (docs/benchmarks.md, "eval: genomes per item"): genome-
// samples per second of one worker when `genomes_per_item` genomes run as the rows of one
// batch (eval::Runner::run_branches), as ratios against one genome at a time measured in the
// same run, rounds interleaved so that machine load hits every setting alike.
//
//   eval_genome_batch_bench [--backbone models/evomem-tiny] [--random llama8b] [--length 1024]
//       [--interval 128] [--chunk 128] [--tasks synth_passkey,synth_kv_retrieval,synth_niah_single]
//       [--samples 2] [--groups 1,2,4,8,16] [--rounds 2] [--sigma 0.065] [--weights FILE] [--threads 1]
//
// Genomes are the mean (zero, or --weights) plus sigma-scaled Gaussian noise, as a generation's
// members are; the normalisation statistics are calibrated on one sample with the zero genome
// and frozen, as evolution does. --random llama8b replaces the backbone's weights by a seeded
// random two-layer Llama-3-8B-shaped model (the backbone folder then only gives the tokenizer).

#include <ATen/ATen.h>
#include <ATen/Parallel.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <map>
#include <string>
#include <vector>

#include "bench/model/benchmark_models.h"
#include "core/allocator.h"
#include "core/text.h"
#include "eval/runner.h"
#include "memory/namm_file.h"
#include "memory/namm_policy.h"
#include "model/backbone.h"
#include "model/random_checkpoint.h"
#include "model/tokenizer.h"
#include "tasks/synthetic/generators.h"
#include "tasks/synthetic/suite.h"
#include "tasks/synthetic/tokenizer.h"

namespace {

using namespace evomem;
using Clock = std::chrono::steady_clock;

struct Options {
  std::string backbone = "models/evomem-tiny";
  std::string random;
  std::int64_t length = 1024;
  std::int64_t interval = 128;
  std::int64_t chunk = 128;
  std::vector<std::string> tasks = {"synth_passkey", "synth_kv_retrieval", "synth_niah_single"};
  std::int64_t samples = 2;
  std::vector<std::int64_t> groups = {1, 2, 4, 8, 16};
  int rounds = 2;
  double sigma = 0.065;
  std::string weights;
  int threads = 1;
};

Options parse(int argc, char** argv) {
  Options options;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    const std::string value = argv[i + 1];
    if (flag == "--backbone") options.backbone = value;
    else if (flag == "--random") options.random = value;
    else if (flag == "--length") options.length = std::stoll(value);
    else if (flag == "--interval") options.interval = std::stoll(value);
    else if (flag == "--chunk") options.chunk = std::stoll(value);
    else if (flag == "--tasks") options.tasks = core::split(value);
    else if (flag == "--samples") options.samples = std::stoll(value);
    else if (flag == "--rounds") options.rounds = std::max(1, std::stoi(value));
    else if (flag == "--sigma") options.sigma = std::stod(value);
    else if (flag == "--weights") options.weights = value;
    else if (flag == "--threads") options.threads = std::stoi(value);
    else if (flag == "--groups") {
      options.groups.clear();
      for (const auto& item : core::split(value)) options.groups.push_back(std::stoll(item));
    } else {
      std::fprintf(stderr, "unknown flag %s\n", flag.c_str());
      std::exit(1);
    }
  }
  return options;
}

struct TaskSample {
  tasks::TaskSpec task;
  tasks::EvalSample sample;
};

std::vector<TaskSample> make_samples(const Options& options, const model::Tokenizer& tokenizer) {
  std::vector<TaskSample> samples;
  for (const auto& name : options.tasks) {
    tasks::SyntheticOptions synthetic;
    synthetic.task = name;
    synthetic.length = static_cast<std::size_t>(options.length);
    synthetic.samples = static_cast<std::size_t>(options.samples);
    synthetic.seed = 2024;
    for (const auto& sample : tasks::generate_synthetic(synthetic, tasks::synthetic_tokenizer(tokenizer))) {
      samples.push_back({tasks::synthetic_task_spec(name), tasks::eval_sample(sample)});
    }
  }
  return samples;
}

double seconds_since(Clock::time_point start) { return std::chrono::duration<double>(Clock::now() - start).count(); }

}  // namespace

int main(int argc, char** argv) {
  const Options options = parse(argc, argv);
  at::set_num_threads(options.threads);
  core::keep_freed_memory_for_reuse();  // as the evomem executable does
  const model::Tokenizer tokenizer = model::Tokenizer::load(std::filesystem::path(options.backbone) / "tokenizer.json");
  model::Backbone backbone = [&] {
    if (options.random.empty()) return model::Backbone::load(options.backbone);
    model::LlamaConfig config = bench::llama3_8b_layers_config();
    return model::Backbone(config, model::random_weights(config, 1, c10::Device(c10::kCPU), at::kFloat),
                           c10::Device(c10::kCPU));
  }();
  eval::RunnerOptions runner_options;
  runner_options.chunk_size = options.chunk;
  runner_options.update_interval = options.interval;
  eval::Runner runner(backbone, tokenizer, runner_options);
  const auto samples = make_samples(options, tokenizer);

  auto made = memory::make_policy("namm:interval=" + std::to_string(options.interval));
  auto& namm = dynamic_cast<memory::NammPolicy&>(*made);
  const std::int64_t size = namm.layout().size();
  std::vector<float> mean(static_cast<std::size_t>(size), 0.0f);
  namm.load_genome(mean);
  runner.run(samples.front().task, samples.front().sample, &namm);
  namm.features().freeze_normalization();
  if (!options.weights.empty()) {
    const auto weights = memory::load_namm(options.weights);
    mean = weights.genome.values;
    namm.features().set_normalization(weights.normalization);
  }

  const std::int64_t largest = *std::max_element(options.groups.begin(), options.groups.end());
  at::manual_seed(7);
  const at::Tensor noise = at::randn({largest, size}) * options.sigma +
                           at::from_blob(mean.data(), {1, size}, at::kFloat);
  std::map<std::int64_t, double> best_seconds;  // per genome-sample
  std::map<std::int64_t, double> retained;
  std::printf("# %s, %lld tokens, interval %lld, chunk %lld, %zu samples, %d thread(s)\n",
              options.random.empty() ? options.backbone.c_str() : "random llama8b (2 layers)",
              static_cast<long long>(options.length), static_cast<long long>(options.interval),
              static_cast<long long>(options.chunk), samples.size(), options.threads);
  // Every setting evaluates the same `largest` genomes on the same samples, `group` at a time.
  const double genome_samples = static_cast<double>(largest) * static_cast<double>(samples.size());
  for (int round = 0; round < options.rounds; ++round) {
    for (const std::int64_t group : options.groups) {
      double kept = 0.0;
      const auto start = Clock::now();
      for (std::int64_t first = 0; first < largest; first += group) {
        const std::int64_t count = std::min(group, largest - first);
        const at::Tensor genomes = noise.narrow(0, first, count).contiguous();
        namm.load_genomes(std::vector<float>(genomes.data_ptr<float>(), genomes.data_ptr<float>() + genomes.numel()),
                          count);
        for (const auto& [task, sample] : samples) {
          for (const auto& result : runner.run_branches(task, sample, &namm)) kept += eval::retained_fraction(result);
        }
      }
      const double per_genome_sample = seconds_since(start) / genome_samples;
      auto [it, inserted] = best_seconds.emplace(group, per_genome_sample);
      if (!inserted) it->second = std::min(it->second, per_genome_sample);
      retained[group] = kept / genome_samples;
    }
  }
  const double baseline = best_seconds.count(1) != 0 ? best_seconds.at(1) : best_seconds.begin()->second;
  std::printf("| genomes per item | genome-samples/s | vs 1 per item | mean retained |\n|---|---|---|---|\n");
  for (const auto& [group, seconds] : best_seconds) {
    std::printf("| %lld | %.4g | %.2fx | %.3f |\n", static_cast<long long>(group), 1.0 / seconds, baseline / seconds,
                retained.at(group));
  }
  return 0;
}
