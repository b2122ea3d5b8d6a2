// NAMM cost: (1) one update of one layer (features + BAM scoring + selection) on a synthetic
// observation of 512 queries over n cached tokens, for the small model's and the
// Llama-3-8B-shaped layers' KV heads; (2) end-to-end prefill (chunks of 128, update every 512)
// with a NAMM whose genome is zero (nothing evicted, so the work done is the same as the full
// cache plus the NAMM) against the full cache.
//
// memory_namm_bench [--threads N] [--contexts 2048,8192] [--models small,llama8b] [--prefill small,llama8b]
//                   [--repeats N]   (prefill pairs, best of N each)

#include <ATen/ATen.h>
#include <ATen/Parallel.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include "bench/model/benchmark_models.h"
#include "core/text.h"
#include "memory/namm_policy.h"
#include "memory/policy_spec.h"
#include "model/backbone.h"
#include "model/random_checkpoint.h"

namespace {

using namespace evomem;
using Clock = std::chrono::steady_clock;

model::LlamaConfig model_config(const std::string& name) {
  return name == "small" ? bench::small_benchmark_config() : bench::llama3_8b_layers_config();
}

double seconds_since(Clock::time_point start) { return std::chrono::duration<double>(Clock::now() - start).count(); }

struct UpdateTimes {
  double total = 0.0;     // features + scoring + selection
  double features = 0.0;  // spectrogram, EMA, normalisation, recency
  double scoring = 0.0;   // BAM
};

// Median times of one NAMM update of one layer with `heads` KV heads and n cached tokens.
UpdateTimes update_seconds(std::int64_t heads, std::int64_t n, int repeats) {
  memory::NammConfig config;
  memory::NammPolicy policy(config);
  at::manual_seed(1);
  const at::Tensor genome = at::randn({policy.layout().size()}) * 0.05;
  policy.load_genome(std::vector<float>(genome.data_ptr<float>(), genome.data_ptr<float>() + genome.numel()));
  model::AttentionObservation observation;
  observation.layer = 0;
  observation.tokens_seen = n;
  observation.positions = at::arange(n, at::kLong).view({1, 1, n}).expand({1, heads, n}).contiguous();
  observation.valid = at::ones({1, heads, n}, at::kBool);
  observation.key_norms = at::ones({1, heads, n});
  observation.query_positions = at::arange(n - 512, n, at::kLong).view({1, 512});
  observation.attention = at::softmax(at::randn({1, heads, 512, n}), -1);
  std::vector<double> times;
  std::vector<double> feature_times;
  std::vector<double> score_times;
  for (int i = 0; i < repeats; ++i) {
    policy.reset();
    const auto start = Clock::now();
    policy.on_update(observation);
    times.push_back(seconds_since(start));
    // The same update again in its parts (features, then scoring), for the breakdown.
    policy.reset();
    const auto features_start = Clock::now();
    const at::Tensor features = policy.features().compute(observation);
    feature_times.push_back(seconds_since(features_start));
    const auto score_start = Clock::now();
    policy.scorer().score(features, observation.positions, observation.valid);
    score_times.push_back(seconds_since(score_start));
  }
  const auto median = [](std::vector<double> values) {
    std::sort(values.begin(), values.end());
    return values[values.size() / 2];
  };
  return {median(times), median(feature_times), median(score_times)};
}

double prefill_seconds(model::Backbone& backbone, std::int64_t context, model::AttentionObserver* observer) {
  at::manual_seed(2);
  const at::Tensor tokens = at::randint(3, backbone.config().vocab_size, {1, context}, at::kLong);
  backbone.reset(1);
  model::PrefillOptions options;
  options.chunk_size = 128;
  options.observer = observer;
  const auto start = Clock::now();
  backbone.prefill(tokens, options);
  return seconds_since(start);
}

}  // namespace

int main(int argc, char** argv) {
  int threads = 1;
  std::vector<std::int64_t> contexts = {2048, 8192};
  std::vector<std::string> models = {"small", "llama8b"};
  std::vector<std::string> prefill = {"small"};
  int repeats = 1;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    const std::string value = argv[i + 1];
    if (flag == "--threads") {
      threads = std::stoi(value);
    } else if (flag == "--contexts") {
      contexts.clear();
      for (const auto& item : core::split(value)) contexts.push_back(std::stoll(item));
    } else if (flag == "--models") {
      models = core::split(value);
    } else if (flag == "--repeats") {
      repeats = std::max(1, std::stoi(value));
    } else if (flag == "--prefill") {
      prefill = core::split(value);
    } else {
      std::fprintf(stderr, "unknown flag %s\n", flag.c_str());
      return 1;
    }
  }
  at::set_num_threads(threads);
  std::printf(
      "| layers of | KV heads | cached tokens | NAMM update of one layer (ms) | features (ms) | BAM scoring (ms) |\n"
      "|---|---|---|---|---|---|\n");
  for (const auto& name : models) {
    const auto config = model_config(name);
    for (const auto context : contexts) {
      const UpdateTimes times = update_seconds(config.num_key_value_heads, context, 5);
      std::printf("| %s | %lld | %lld | %.1f | %.1f | %.1f |\n", name.c_str(),
                  static_cast<long long>(config.num_key_value_heads), static_cast<long long>(context),
                  1e3 * times.total, 1e3 * times.features, 1e3 * times.scoring);
      std::fflush(stdout);
    }
  }
  std::printf(
      "\n| model | context | full cache prefill (s) | NAMM prefill, zero genome (s) | overhead |\n|---|---|---|---|---|\n");
  for (const auto& name : prefill) {
    const auto config = model_config(name);
    model::Backbone backbone(config, model::random_weights(config, 1, c10::Device(c10::kCPU), at::kFloat),
                             c10::Device(c10::kCPU));
    for (const auto context : contexts) {
      auto policy = memory::make_policy("namm");
      prefill_seconds(backbone, 256, nullptr);  // warm-up
      // Alternating runs, best of each: on a shared machine single runs of the small model
      // vary by 3x with the load and with which run first touches fresh memory.
      double full = 0.0;
      double namm = 0.0;
      for (int repeat = 0; repeat < repeats; ++repeat) {
        const double full_run = prefill_seconds(backbone, context, nullptr);
        policy->reset();
        const double namm_run = prefill_seconds(backbone, context, policy.get());
        full = repeat == 0 ? full_run : std::min(full, full_run);
        namm = repeat == 0 ? namm_run : std::min(namm, namm_run);
      }
      std::printf("| %s | %lld | %.2f | %.2f | %.1f%% |\n", name.c_str(), static_cast<long long>(context), full, namm,
                  100.0 * (namm - full) / full);
      std::fflush(stdout);
    }
  }
  return 0;
}
