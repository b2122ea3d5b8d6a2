// Backbone throughput on the CPU (docs/benchmarks.md, "model: backbone"):
// prefill and decode tokens/s at 2K and 8K context for a small model and for two layers of
// Llama-3-8B shape, the achieved GFLOP/s as a fraction of a plain matrix product measured in
// the same run, and the cost of the observation hook and of cache compaction.
//
//   backbone_bench [--contexts 2048,8192] [--models small,llama8b] [--chunk 512] [--decode 16]
//                  [--threads N] [--overhead-max-context 2048]

#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <c10/core/InferenceMode.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <string>
#include <vector>

#include "bench/model/benchmark_models.h"
#include "core/text.h"
#include "model/backbone.h"
#include "model/random_checkpoint.h"

namespace {

using evomem::model::AttentionObservation;
using evomem::model::AttentionObserver;
using evomem::model::Backbone;
using evomem::model::LlamaConfig;
using evomem::model::PrefillOptions;

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

double time_it(const std::function<void()>& work) {
  const auto start = std::chrono::steady_clock::now();
  work();
  return seconds_since(start);
}

// Best of a few runs of a [m, k] x [k, n] float32 product: the machine's matmul rate.
double matmul_gflops(std::int64_t m, std::int64_t k, std::int64_t n) {
  const at::Tensor a = at::randn({m, k});
  const at::Tensor b = at::randn({k, n});
  at::Tensor c = at::mm(a, b);
  double best = 1e30;
  for (int i = 0; i < 5; ++i) best = std::min(best, time_it([&] { c = at::mm(a, b); }));
  return 2.0 * static_cast<double>(m * k * n) / best / 1e9;
}

// Useful floating-point work of processing tokens [first, first + count) with full causal
// attention: every linear layer plus QK^T and PV over the visible keys.
double forward_flops(const LlamaConfig& config, std::int64_t first, std::int64_t count, bool with_lm_head) {
  const double hidden = static_cast<double>(config.hidden_size);
  const double q_width = static_cast<double>(config.num_attention_heads * config.head_dim);
  const double kv_width = static_cast<double>(config.num_key_value_heads * config.head_dim);
  const double per_token_linear = 2.0 * (hidden * (q_width + 2 * kv_width) + q_width * hidden +
                                         3.0 * hidden * static_cast<double>(config.intermediate_size));
  double visible = 0;  // sum over the tokens of the keys each one sees
  for (std::int64_t t = first; t < first + count; ++t) visible += static_cast<double>(t + 1);
  const double attention = 4.0 * q_width * visible;
  const double layers = static_cast<double>(config.num_hidden_layers) *
                        (per_token_linear * static_cast<double>(count) + attention);
  return layers + (with_lm_head ? 2.0 * hidden * static_cast<double>(config.vocab_size) : 0.0);
}

class KeepAllObserver : public AttentionObserver {
 public:
  std::int64_t update_interval() const override { return 512; }
  std::optional<at::Tensor> on_update(const AttentionObservation& observation) override {
    checksum_ += observation.attention.sum().item<double>();  // touch the data like a policy would
    return std::nullopt;
  }
  double checksum_ = 0;
};

// Evicts a random half of each head's older slots at every update: exercises compaction.
class HalvingObserver : public AttentionObserver {
 public:
  std::int64_t update_interval() const override { return 512; }
  bool needs_attention() const override { return false; }
  std::optional<at::Tensor> on_update(const AttentionObservation& observation) override {
    at::Tensor keep = at::rand(observation.valid.sizes()) < 0.5;
    keep.narrow(2, std::max<std::int64_t>(observation.valid.size(2) - 512, 0),
                std::min<std::int64_t>(512, observation.valid.size(2)))
        .fill_(true);
    return keep;
  }
};

struct Row {
  std::string model;
  std::int64_t context;
  std::string what;
  double tokens_per_second;
  double gflops;
  double seconds;
};

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::int64_t> contexts = {2048, 8192};
  std::string models = "small,llama8b";
  std::int64_t chunk = 512;
  std::int64_t decode_tokens = 16;
  std::int64_t overhead_max_context = 2048;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    const std::string value = argv[i + 1];
    if (flag == "--contexts") {
      contexts.clear();
      for (const auto& item : evomem::core::split(value)) contexts.push_back(std::stoll(item));
    } else if (flag == "--models") {
      models = value;
    } else if (flag == "--chunk") {
      chunk = std::stoll(value);
    } else if (flag == "--decode") {
      decode_tokens = std::stoll(value);
    } else if (flag == "--overhead-max-context") {
      overhead_max_context = std::stoll(value);
    } else if (flag == "--threads") {
      at::set_num_threads(static_cast<int>(std::stoll(value)));
    } else {
      std::fprintf(stderr, "unknown flag %s\n", flag.c_str());
      return 1;
    }
  }
  c10::InferenceMode inference_mode;
  const double matmul_rate = std::max(matmul_gflops(2048, 4096, 4096), matmul_gflops(512, 4096, 14336));
  std::printf(
      "threads %d, matmul rate %.1f GFLOP/s (float32, best of [2048x4096]x[4096x4096] and [512x4096]x[4096x14336])\n",
      at::get_num_threads(), matmul_rate);
  std::fflush(stdout);

  std::vector<std::pair<std::string, LlamaConfig>> configs;
  if (models.find("small") != std::string::npos) {
    configs.emplace_back("small (4 x 256)", evomem::bench::small_benchmark_config());
  }
  if (models.find("llama8b") != std::string::npos) {
    configs.emplace_back("Llama-3-8B shape, 2 layers", evomem::bench::llama3_8b_layers_config());
  }

  std::vector<Row> rows;
  const auto report = [&](const Row& row) {
    rows.push_back(row);
    std::printf("| %s | %lld | %s | %.1f | %.1f | %.0f%% | %.2f |\n", row.model.c_str(),
                static_cast<long long>(row.context), row.what.c_str(), row.tokens_per_second, row.gflops,
                100.0 * row.gflops / matmul_rate, row.seconds);
    std::fflush(stdout);
  };
  std::printf(
      "| model | context | measurement | tokens/s | GFLOP/s | of matmul | seconds |\n|---|---|---|---|---|---|---|\n");

  for (const auto& [name, config] : configs) {
    Backbone backbone(config, evomem::model::random_weights(config, 1, c10::Device(c10::kCPU), at::kFloat),
                      c10::Device(c10::kCPU));
    for (const std::int64_t context : contexts) {
      const at::Tensor tokens = at::randint(3, config.vocab_size, {1, context}, at::TensorOptions().dtype(at::kLong));
      const auto prefill = [&](AttentionObserver* observer, std::int64_t chunk_size) {
        backbone.reset(1);
        PrefillOptions options;
        options.chunk_size = chunk_size;
        options.observer = observer;
        return time_it([&] { backbone.prefill(tokens, options); });
      };
      const double prefill_flops = forward_flops(config, 0, context, true);
      prefill(nullptr, std::min<std::int64_t>(chunk, context));  // warm-up: allocator, thread pool
      const double plain = prefill(nullptr, chunk);
      report({name, context, "prefill, chunk " + std::to_string(chunk), static_cast<double>(context) / plain,
              prefill_flops / plain / 1e9, plain});

      // Decode continues from the prefilled cache.
      at::Tensor next = at::randint(3, config.vocab_size, {1}, at::TensorOptions().dtype(at::kLong));
      const double decode = time_it([&] {
        for (std::int64_t i = 0; i < decode_tokens; ++i) backbone.decode_step(next);
      });
      const double decode_flops = forward_flops(config, context, decode_tokens, true) + 0.0;
      report({name, context, "decode (" + std::to_string(decode_tokens) + " tokens)",
              static_cast<double>(decode_tokens) / decode, decode_flops / decode / 1e9, decode});

      // The overhead runs cost three more prefills; for the 8B-shaped layers they are
      // limited to --overhead-max-context to keep the benchmark bounded.
      if (config.hidden_size > 1024 && context > overhead_max_context) continue;
      // NAMM's schedule: chunks of 128, observation with probabilities every 512 tokens.
      const double plain_128 = prefill(nullptr, 128);
      report({name, context, "prefill, chunk 128", static_cast<double>(context) / plain_128,
              prefill_flops / plain_128 / 1e9, plain_128});
      KeepAllObserver keep_all;
      const double observed = prefill(&keep_all, 128);
      report({name, context, "prefill, chunk 128 + observation every 512 (keep all)",
              static_cast<double>(context) / observed, prefill_flops / observed / 1e9, observed});
      HalvingObserver halving;
      const double evicting = prefill(&halving, 128);
      report({name, context, "prefill, chunk 128 + eviction/compaction every 512 (no probabilities)",
              static_cast<double>(context) / evicting, 0.0, evicting});
      std::printf(
          "observation overhead at %lld: %+.1f%% of plain chunk-128 prefill; eviction+compaction run: %+.1f%%\n",
          static_cast<long long>(context), 100.0 * (observed / plain_128 - 1.0), 100.0 * (evicting / plain_128 - 1.0));

      // Compaction alone: one layer's cache of `context` slots, half of each head evicted.
      backbone.reset(1);
      PrefillOptions options;
      options.chunk_size = chunk;
      backbone.prefill(tokens, options);
      evomem::model::KvCache& cache = backbone.cache();
      double compaction = 0;
      for (std::int64_t layer = 0; layer < cache.num_layers(); ++layer) {
        const at::Tensor keep = at::rand({1, cache.kv_heads(), cache.length(layer)}) < 0.5;
        compaction += time_it([&] { cache.evict(layer, keep, true); });
      }
      std::printf(
          "compaction of all %lld layers at %lld slots (half evicted per head): %.2f ms = %.2f%% of the plain prefill\n",
          static_cast<long long>(cache.num_layers()), static_cast<long long>(context), compaction * 1e3,
          100.0 * compaction / plain);
      std::fflush(stdout);
    }
  }
  return 0;
}
