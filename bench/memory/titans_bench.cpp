// Titans memory update throughput (memory/titans/memory.h): tokens per second of
// TitansMemory::update (projections, gates, gradients and the state update) for per-token
// updates (chunk size 1) against chunked ones (16, 64), depth-2 memories of width d
// (input_dim = d, orthogonal projections, SiLU + L2 norm, published constant gates, float32),
// one stream and B streams. The chunked / per-token ratios come from the same process and
// the same input, since the machines these run on are noisy.
//
// memory_titans_bench [--threads N] [--tokens T] [--repeats N] [--widths 64,128,256,512]
//                     [--streams 1,8] [--chunks 1,16,64]

#include <ATen/ATen.h>
#include <ATen/Parallel.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include "core/text.h"
#include "evo/statistics.h"
#include "memory/titans/memory.h"

namespace {

using namespace evomem;
using Clock = std::chrono::steady_clock;

std::vector<std::int64_t> parse_list(const std::string& text) {
  std::vector<std::int64_t> out;
  for (const auto& item : core::split(text)) out.push_back(std::stoll(item));
  return out;
}

// Median seconds of one update of x's tokens from a freshly reset memory, for each chunk
// size. The chunk sizes take turns within every repeat, so that load from other processes
// falls on all of them alike and their ratios stay meaningful.
std::vector<double> update_seconds(std::int64_t width, const std::vector<std::int64_t>& chunks, const at::Tensor& x,
                                   int repeats) {
  std::vector<memory::TitansMemory> memories;
  for (const auto chunk : chunks) {
    memory::TitansConfig config;
    config.input_dim = width;
    config.width = width;
    config.depth = 2;
    config.chunk_size = chunk;
    memories.emplace_back(config, memory::TitansGates::published(config));
  }
  std::vector<std::vector<double>> times(chunks.size());
  for (int i = 0; i <= repeats; ++i) {  // the first round warms up the allocator and caches
    for (std::size_t c = 0; c < chunks.size(); ++c) {
      memories[c].reset(x.size(0));
      const auto start = Clock::now();
      memories[c].update(x);
      const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
      if (i > 0) times[c].push_back(seconds);
    }
  }
  std::vector<double> out;
  for (const auto& chunk_times : times) out.push_back(evo::median(chunk_times));
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  int threads = 1;
  std::int64_t tokens = 1024;
  int repeats = 5;
  std::vector<std::int64_t> widths{64, 128, 256, 512};
  std::vector<std::int64_t> stream_counts{1, 8};
  std::vector<std::int64_t> chunks{1, 16, 64};
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    const std::string value = argv[i + 1];
    if (flag == "--threads") {
      threads = std::stoi(value);
    } else if (flag == "--tokens") {
      tokens = std::stoll(value);
    } else if (flag == "--repeats") {
      repeats = std::stoi(value);
    } else if (flag == "--widths") {
      widths = parse_list(value);
    } else if (flag == "--streams") {
      stream_counts = parse_list(value);
    } else if (flag == "--chunks") {
      chunks = parse_list(value);
    } else {
      std::fprintf(stderr, "unknown flag %s\n", flag.c_str());
      return 1;
    }
  }
  if (argc % 2 == 0) {
    std::fprintf(stderr, "flags take one value each\n");
    return 1;
  }
  at::set_num_threads(threads);
  std::printf("LibTorch intra-op threads: %d; %lld tokens per stream per update; median of %d\n\n",
              at::get_num_threads(), static_cast<long long>(tokens), repeats);
  std::printf("| width d | streams B |");
  for (const auto chunk : chunks) std::printf(" b = %lld (tokens/s) |", static_cast<long long>(chunk));
  for (std::size_t c = 1; c < chunks.size(); ++c)
    std::printf(" b = %lld / b = %lld |", static_cast<long long>(chunks[c]), static_cast<long long>(chunks[0]));
  std::printf("\n|---|---|");
  for (std::size_t c = 0; c < 2 * chunks.size() - 1; ++c) std::printf("---|");
  std::printf("\n");
  for (const auto width : widths) {
    for (const auto streams : stream_counts) {
      at::manual_seed(1);
      const at::Tensor x = at::randn({streams, tokens, width});
      std::vector<double> rates;
      for (const double seconds : update_seconds(width, chunks, x, repeats))
        rates.push_back(static_cast<double>(streams * tokens) / seconds);
      std::printf("| %lld | %lld |", static_cast<long long>(width), static_cast<long long>(streams));
      for (const double rate : rates) std::printf(" %.0f |", rate);
      for (std::size_t c = 1; c < rates.size(); ++c) std::printf(" %.1fx |", rates[c] / rates[0]);
      std::printf("\n");
      std::fflush(stdout);
    }
  }
  return 0;
}
