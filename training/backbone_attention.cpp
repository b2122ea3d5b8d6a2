#include "training/backbone_attention.h"

#include <cmath>
#include <string>

#include "core/error.h"

namespace evomem::training {

std::vector<HeadAttention> attention_at(const TrainableLlama& model, const std::vector<std::int64_t>& tokens,
                                        std::int64_t query) {
  const auto length = static_cast<std::int64_t>(tokens.size());
  if (query < 0 || query >= length) {
    throw InputError("query position " + std::to_string(query) + " is outside the " + std::to_string(length) +
                     " tokens of the prompt");
  }
  const std::int64_t half = model.config().head_dim / 2;
  const double scale = 1.0 / std::sqrt(static_cast<double>(model.config().head_dim));
  std::vector<HeadAttention> heads;
  const auto tap = [&](std::int64_t layer, const torch::Tensor& q, const torch::Tensor& k) {
    for (std::int64_t head = 0; head < q.size(1); ++head) {
      const auto query_row = (q[0][head][query] * scale).to(torch::kCPU, torch::kFloat);
      const auto keys = k[0][head].slice(0, 0, query + 1).to(torch::kCPU, torch::kFloat);  // [query + 1, head_dim]
      // Rotate-half pairing: dimension i goes with i + head_dim / 2.
      const auto pairs = (keys.slice(1, 0, half) * query_row.slice(0, 0, half) +
                          keys.slice(1, half, 2 * half) * query_row.slice(0, half, 2 * half))
                             .t()
                             .contiguous();  // [half, query + 1]
      const auto probabilities = torch::softmax(pairs.sum(0), 0).contiguous();
      HeadAttention result;
      result.layer = layer;
      result.head = head;
      result.probabilities.assign(probabilities.data_ptr<float>(), probabilities.data_ptr<float>() + query + 1);
      for (std::int64_t i = 0; i < half; ++i) {
        const float* row = pairs[i].data_ptr<float>();
        result.pair_scores.emplace_back(row, row + query + 1);
      }
      heads.push_back(std::move(result));
    }
  };
  torch::NoGradGuard no_grad;
  const auto ids = torch::tensor(tokens, torch::kLong).unsqueeze(0).to(model.device());
  model.forward(ids.slice(1, 0, query + 1), tap);
  return heads;
}

}  // namespace evomem::training
