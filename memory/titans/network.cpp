#include "memory/titans/network.h"

#include "core/error.h"

namespace evomem::memory {

std::vector<std::array<std::int64_t, 2>> titans_layer_shapes(const TitansConfig& config) {
  const std::int64_t d = config.width;
  if (config.depth == 1) return {{d, d}};
  const std::int64_t h = config.hidden_width();
  std::vector<std::array<std::int64_t, 2>> shapes{{h, d}};
  for (std::int64_t layer = 1; layer + 1 < config.depth; ++layer) shapes.push_back({h, h});
  shapes.push_back({d, h});
  return shapes;
}

at::Tensor titans_forward(const std::vector<at::Tensor>& weights, const at::Tensor& keys, TitansTrace* trace) {
  EVOMEM_CHECK(!weights.empty());
  if (trace) {
    trace->inputs.clear();
    trace->preactivations.clear();
  }
  at::Tensor hidden = keys;
  for (std::size_t layer = 0; layer < weights.size(); ++layer) {
    if (trace) trace->inputs.push_back(hidden);
    // [B, n, in] x [B, in, out]: the batch of streams is the bmm batch.
    const at::Tensor pre = at::bmm(hidden, weights[layer].transpose(1, 2));
    if (layer + 1 == weights.size()) return pre;
    if (trace) trace->preactivations.push_back(pre);
    hidden = at::silu(pre);
  }
  return hidden;  // unreachable
}

std::vector<at::Tensor> titans_deltas(const std::vector<at::Tensor>& weights, const TitansTrace& trace,
                                      const at::Tensor& output, const at::Tensor& values) {
  const std::size_t layers = weights.size();
  EVOMEM_CHECK(trace.inputs.size() == layers && trace.preactivations.size() + 1 == layers);
  std::vector<at::Tensor> deltas(layers);
  deltas[layers - 1] = 2.0 * (output - values);
  for (std::size_t layer = layers - 1; layer-- > 0;) {
    const at::Tensor& pre = trace.preactivations[layer];
    const at::Tensor sig = at::sigmoid(pre);
    // SiLU'(a) = σ(a) (1 + a (1 − σ(a))).
    const at::Tensor silu_grad = sig * (1.0 + pre * (1.0 - sig));
    deltas[layer] = at::bmm(deltas[layer + 1], weights[layer + 1]) * silu_grad;
  }
  return deltas;
}

at::Tensor titans_gradient_norms(const TitansTrace& trace, const std::vector<at::Tensor>& deltas) {
  EVOMEM_CHECK(trace.inputs.size() == deltas.size());
  at::Tensor squared;
  for (std::size_t layer = 0; layer < deltas.size(); ++layer) {
    const at::Tensor term = deltas[layer].square().sum(-1) * trace.inputs[layer].square().sum(-1);
    squared = layer == 0 ? term : squared + term;
  }
  return squared.sqrt();
}

at::Tensor titans_loss(const std::vector<at::Tensor>& weights, const at::Tensor& keys, const at::Tensor& values) {
  return (titans_forward(weights, keys) - values).square().sum(-1);
}

std::vector<at::Tensor> titans_token_gradients(const std::vector<at::Tensor>& weights, const at::Tensor& keys,
                                               const at::Tensor& values) {
  TitansTrace trace;
  const at::Tensor output = titans_forward(weights, keys, &trace);
  const std::vector<at::Tensor> deltas = titans_deltas(weights, trace, output, values);
  std::vector<at::Tensor> gradients;
  for (std::size_t layer = 0; layer < weights.size(); ++layer) {
    gradients.push_back(deltas[layer].unsqueeze(-1) * trace.inputs[layer].unsqueeze(-2));
  }
  return gradients;
}

}  // namespace evomem::memory
