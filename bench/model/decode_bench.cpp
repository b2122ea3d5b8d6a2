// Decode against the memory-bandwidth limit (docs/benchmarks.md, "model: decode"):
// the machine's memory bandwidth measured in the same run (STREAM-like copy, triad and read
// over buffers far larger than the caches), then decode tokens/s of two layers of
// Llama-3-8B shape (random weights) and of a checkpoint folder (the built-in backbone) at each
// thread count, with evomem's CPU kernels (cpu_kernels.h) and with LibTorch's operators,
// interleaved so both see the same machine. Decode is also reported as a fraction of the
// bandwidth limit: weight bytes read per token x tokens/s / measured bandwidth (the best of
// copy, triad and read, the strictest limit). A prefill row
// per model checks that the kernels do not slow prefill down.
//
//   model_decode_bench [--checkpoint models/evomem-tiny] [--threads 1,2] [--repeats 3]
//                      [--models llama8b,checkpoint] [--prompt 128] [--decode-8b 8] [--decode-small 128]

#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <c10/core/InferenceMode.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <functional>
#include <string>
#include <vector>

#include "bench/model/benchmark_models.h"
#include "core/text.h"
#include "model/backbone.h"
#include "model/cpu_kernels.h"
#include "model/random_checkpoint.h"
#include "model/threads.h"

namespace {

using evomem::model::Backbone;

double seconds_of(const std::function<void()>& work) {
  const auto start = std::chrono::steady_clock::now();
  work();
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

struct Bandwidth {
  double copy = 0;
  double triad = 0;
  double read = 0;
  double limit() const { return std::max({copy, triad, read}); }
};

// Best of five passes over 64 Mi floats per array (256 MiB, eight times the last-level cache
// of a large server), split over the current threads like the model's own loops.
Bandwidth measure_bandwidth() {
  constexpr std::int64_t kCount = std::int64_t{64} << 20;
  std::vector<float> a(kCount, 1.0F), b(kCount, 2.0F), c(kCount, 0.0F);
  const std::int64_t grain = std::int64_t{1} << 18;
  const double bytes = static_cast<double>(kCount) * sizeof(float);
  Bandwidth best;
  std::vector<double> partial(static_cast<std::size_t>(kCount / grain + 1), 0.0);
  for (int pass = 0; pass < 5; ++pass) {
    const double copy = seconds_of([&] {
      at::parallel_for(0, kCount, grain, [&](std::int64_t i0, std::int64_t i1) {
        std::copy(a.begin() + i0, a.begin() + i1, c.begin() + i0);
      });
    });
    const double triad = seconds_of([&] {
      at::parallel_for(0, kCount, grain, [&](std::int64_t i0, std::int64_t i1) {
        for (std::int64_t i = i0; i < i1; ++i) c[i] = a[i] + 3.0F * b[i];
      });
    });
    const double read = seconds_of([&] {
      at::parallel_for(0, kCount, grain, [&](std::int64_t i0, std::int64_t i1) {
        float sums[8] = {};
        for (std::int64_t i = i0; i + 8 <= i1; i += 8) {
          for (int lane = 0; lane < 8; ++lane) sums[lane] += a[i + lane];
        }
        double total = 0;
        for (float s : sums) total += s;
        partial[static_cast<std::size_t>(i0 / grain)] = total;
      });
    });
    best.copy = std::max(best.copy, 2 * bytes / copy / 1e9);
    best.triad = std::max(best.triad, 3 * bytes / triad / 1e9);
    best.read = std::max(best.read, bytes / read / 1e9);
  }
  double check = 0;
  for (double p : partial) check += p;
  if (check != static_cast<double>(kCount)) std::fprintf(stderr, "bandwidth read check failed: %f\n", check);
  return best;
}

// Bytes of weights one decode step reads: every linear layer, the vocabulary projection and
// one embedding row (norm weights are too small to count).
double weight_bytes_per_token(const evomem::model::LlamaConfig& config) {
  const double hidden = static_cast<double>(config.hidden_size);
  const double q_width = static_cast<double>(config.num_attention_heads * config.head_dim);
  const double kv_width = static_cast<double>(config.num_key_value_heads * config.head_dim);
  const double per_layer = hidden * (q_width + 2 * kv_width) + q_width * hidden +
                           3.0 * hidden * static_cast<double>(config.intermediate_size);
  const double params = static_cast<double>(config.num_hidden_layers) * per_layer +
                        static_cast<double>(config.vocab_size) * hidden + hidden;
  return params * sizeof(float);
}

struct Timing {
  double decode_tokens_per_s = 0;
  double prefill_tokens_per_s = 0;
};

// Prefills `prompt` tokens (timed), then decodes `decode` tokens one at a time (timed).
Timing run_once(Backbone& backbone, std::int64_t prompt, std::int64_t decode) {
  c10::InferenceMode inference_mode;
  const std::int64_t vocab = backbone.config().vocab_size;
  const at::Tensor tokens = at::randint(3, vocab, {1, prompt}, at::TensorOptions().dtype(at::kLong));
  backbone.reset(1);
  Timing timing;
  at::Tensor logits;
  timing.prefill_tokens_per_s = static_cast<double>(prompt) / seconds_of([&] { logits = backbone.prefill(tokens); });
  const double decode_s = seconds_of([&] {
    for (std::int64_t i = 0; i < decode; ++i) logits = backbone.decode_step(logits.argmax(-1));
  });
  timing.decode_tokens_per_s = static_cast<double>(decode) / decode_s;
  return timing;
}

std::vector<std::int64_t> parse_counts(const std::string& text) {
  std::vector<std::int64_t> values;
  for (const std::string& item : evomem::core::split(text, ',')) values.push_back(std::stoll(item));
  return values;
}

}  // namespace

int main(int argc, char** argv) {
  std::string checkpoint = "models/evomem-tiny";
  std::string models = "llama8b,checkpoint";
  std::vector<std::int64_t> thread_counts = {1, 2};
  int repeats = 3;
  std::int64_t prompt = 128;
  std::int64_t decode_8b = 8;
  std::int64_t decode_small = 128;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    const std::string value = argv[i + 1];
    if (flag == "--checkpoint") checkpoint = value;
    else if (flag == "--models") models = value;
    else if (flag == "--threads") thread_counts = parse_counts(value);
    else if (flag == "--repeats") repeats = std::stoi(value);
    else if (flag == "--prompt") prompt = std::stoll(value);
    else if (flag == "--decode-8b") decode_8b = std::stoll(value);
    else if (flag == "--decode-small") decode_small = std::stoll(value);
    else {
      std::fprintf(stderr, "unknown flag %s\n", flag.c_str());
      return 1;
    }
  }

  std::printf(
      "| model | threads | path | decode tokens/s | x LibTorch | GB/s of weights | of bandwidth | prefill tokens/s | x LibTorch |\n");
  std::printf("|---|---|---|---|---|---|---|---|---|\n");
  for (const std::string& model : evomem::core::split(models, ',')) {
    const bool large = model == "llama8b";
    Backbone backbone = large ? Backbone(evomem::bench::llama3_8b_layers_config(),
                                         evomem::model::random_weights(evomem::bench::llama3_8b_layers_config(), 1,
                                                                       c10::Device(c10::kCPU), at::kFloat),
                                         c10::Device(c10::kCPU))
                              : Backbone::load(checkpoint);
    const double bytes = weight_bytes_per_token(backbone.config());
    const std::int64_t decode = large ? decode_8b : decode_small;
    const std::string name = large ? "Llama-3-8B shape, 2 layers" : checkpoint;
    for (const std::int64_t threads : thread_counts) {
      evomem::model::apply_threads(static_cast<int>(threads));
      const Bandwidth bandwidth = measure_bandwidth();
      std::fprintf(stderr, "%lld thread(s): copy %.1f GB/s, triad %.1f GB/s, read %.1f GB/s\n",
                   static_cast<long long>(threads), bandwidth.copy, bandwidth.triad, bandwidth.read);
      run_once(backbone, prompt, 2);  // warm-up: allocator, thread pool, pages
      std::vector<Timing> best(2);
      for (int r = 0; r < repeats; ++r) {
        for (int path = 0; path < 2; ++path) {
          evomem::model::set_cpu_kernels_enabled(path == 1);
          const Timing t = run_once(backbone, prompt, decode);
          best[path].decode_tokens_per_s = std::max(best[path].decode_tokens_per_s, t.decode_tokens_per_s);
          best[path].prefill_tokens_per_s = std::max(best[path].prefill_tokens_per_s, t.prefill_tokens_per_s);
        }
      }
      for (int path = 0; path < 2; ++path) {
        const Timing& t = best[path];
        const double streamed = bytes * t.decode_tokens_per_s / 1e9;
        std::printf("| %s | %lld | %s | %.1f | %.2f | %.1f | %.0f%% of %.1f GB/s | %.0f | %.2f |\n", name.c_str(),
                    static_cast<long long>(threads), path == 1 ? "evomem kernels" : "LibTorch", t.decode_tokens_per_s,
                    t.decode_tokens_per_s / best[0].decode_tokens_per_s, streamed, 100.0 * streamed / bandwidth.limit(),
                    bandwidth.limit(), t.prefill_tokens_per_s, t.prefill_tokens_per_s / best[0].prefill_tokens_per_s);
      }
      std::fflush(stdout);
    }
  }
  evomem::model::set_cpu_kernels_enabled(true);
  return 0;
}
