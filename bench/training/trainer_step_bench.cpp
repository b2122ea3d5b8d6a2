// Backbone trainer step on the CPU (docs/benchmarks.md, "Trainer step: attention in blocks of
// query rows"): forward, cross-entropy and backward of a backbone's shape (by default the
// built-in one's, read from models/evomem-tiny/config.json; random weights) at several sample
// lengths, with attention as one L x L matrix and in blocks of query rows. Every
// configuration runs in the same process, interleaved, and is reported as a ratio to the
// whole-matrix step of its length.
//
//   trainer_step_bench [--model DIR] [--lengths 512,1024,2048,4096] [--blocks 0,128,256,512]
//                      [--tokens 2048] [--reps 5] [--threads N]

#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <map>
#include <string>
#include <vector>

#include "core/text.h"
#include "model/config.h"
#include "training/backbone_trainer_model.h"

namespace {

std::vector<std::int64_t> integers(const std::string& list) {
  std::vector<std::int64_t> values;
  for (const auto& item : evomem::core::split(list, ',')) values.push_back(std::stoll(item));
  return values;
}

double median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  return values[values.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::int64_t> lengths{512, 1024, 2048, 4096};
  std::vector<std::int64_t> blocks{0, 128, 256, 512};
  std::int64_t tokens = 2048;
  int reps = 5;
  std::string model = "models/evomem-tiny";
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    const std::string value = argv[i + 1];
    if (flag == "--model") {
      model = value;
    } else if (flag == "--lengths") {
      lengths = integers(value);
    } else if (flag == "--blocks") {
      blocks = integers(value);
    } else if (flag == "--tokens") {
      tokens = std::stoll(value);
    } else if (flag == "--reps") {
      reps = std::stoi(value);
    } else if (flag == "--threads") {
      torch::set_num_threads(std::stoi(value));
    } else {
      std::fprintf(stderr, "trainer_step_bench: unknown option %s\n", flag.c_str());
      return 2;
    }
  }
  if (std::find(blocks.begin(), blocks.end(), 0) == blocks.end()) blocks.insert(blocks.begin(), 0);

  const auto config = evomem::model::load_config(model);
  evomem::training::TrainableLlama llama(config, 1, 0.08);
  std::printf("threads %d, %lld tokens per step\n", torch::get_num_threads(), static_cast<long long>(tokens));
  std::printf(
      "| length | batch | query block | ms/step | tokens/s | time vs whole matrix |\n|---|---|---|---|---|---|\n");
  for (const auto length : lengths) {
    const std::int64_t batch = std::max<std::int64_t>(1, tokens / length);
    torch::manual_seed(static_cast<std::uint64_t>(length));
    const auto input = torch::randint(config.vocab_size, {batch, length}, torch::kLong);
    const auto targets = torch::randint(config.vocab_size, {batch * length}, torch::kLong);
    const auto step = [&](std::int64_t block) {
      llama.set_query_block(block);
      for (auto& parameter : llama.parameters()) parameter.mutable_grad() = torch::Tensor();
      const auto start = std::chrono::steady_clock::now();
      const auto logits = llama.forward(input).view({batch * length, config.vocab_size});
      torch::nn::functional::cross_entropy(logits, targets).backward();
      return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    };
    for (const auto block : blocks) step(block);  // warm-up: allocator and thread pool
    std::map<std::int64_t, std::vector<double>> seconds;
    for (int rep = 0; rep < reps; ++rep) {
      for (const auto block : blocks) seconds[block].push_back(step(block));
    }
    const double whole = median(seconds[0]);
    for (const auto block : blocks) {
      const double s = median(seconds[block]);
      std::printf("| %lld | %lld | %s | %.1f | %.0f | %.3f |\n", static_cast<long long>(length),
                  static_cast<long long>(batch), block == 0 ? "whole" : std::to_string(block).c_str(), 1e3 * s,
                  static_cast<double>(batch * length) / s, s / whole);
    }
  }
  return 0;
}
