#include "training/backbone_training_step.h"

#include <algorithm>

namespace evomem::training {
namespace {

struct Batch {
  torch::Tensor tokens;   // [batch, n] int64
  torch::Tensor targets;  // [batch, n] int64
  torch::Tensor weights;  // [batch, n] float
};

Batch collate(const std::vector<Example>& examples, std::int64_t pad_id, c10::Device device) {
  std::size_t longest = 0;
  for (const auto& example : examples) longest = std::max(longest, example.tokens.size());
  const auto batch = static_cast<std::int64_t>(examples.size());
  const auto n = static_cast<std::int64_t>(longest);
  Batch out{torch::full({batch, n}, pad_id, torch::kLong), torch::full({batch, n}, pad_id, torch::kLong),
            torch::zeros({batch, n})};
  auto tokens = out.tokens.accessor<std::int64_t, 2>();
  auto targets = out.targets.accessor<std::int64_t, 2>();
  auto weights = out.weights.accessor<float, 2>();
  for (std::int64_t b = 0; b < batch; ++b) {
    const auto& example = examples[static_cast<std::size_t>(b)];
    for (std::size_t t = 0; t < example.tokens.size(); ++t) {
      tokens[b][static_cast<std::int64_t>(t)] = example.tokens[t];
      if (t + 1 < example.tokens.size()) {
        targets[b][static_cast<std::int64_t>(t)] = example.tokens[t + 1];
        weights[b][static_cast<std::int64_t>(t)] = example.weights[t];
      }
    }
  }
  if (!device.is_cpu()) out = Batch{out.tokens.to(device), out.targets.to(device), out.weights.to(device)};
  return out;
}

}  // namespace

torch::Tensor step_forward_backward(const TrainableLlama& llama, const std::vector<Example>& examples,
                                    std::int64_t pad_id, bool padded_batch) {
  std::vector<Batch> batches;
  if (padded_batch) {
    batches.push_back(collate(examples, pad_id, llama.device()));
  } else {
    for (const auto& example : examples) batches.push_back(collate({example}, pad_id, llama.device()));
  }
  torch::Tensor total_weight = batches.front().weights.sum();
  for (std::size_t i = 1; i < batches.size(); ++i) total_weight = total_weight + batches[i].weights.sum();
  std::vector<torch::Tensor> sums;
  for (const auto& batch : batches) {
    const auto logits = llama.forward(batch.tokens);
    const auto nll = -torch::log_softmax(logits, -1).gather(-1, batch.targets.unsqueeze(-1)).squeeze(-1);
    ((nll * batch.weights).sum() / total_weight).backward();
    sums.push_back(torch::stack({(nll.detach() * batch.weights).sum(1), batch.weights.sum(1)}));
  }
  return torch::cat(sums, 1).cpu();
}

}  // namespace evomem::training
