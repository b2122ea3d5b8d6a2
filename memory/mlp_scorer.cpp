#include "memory/mlp_scorer.h"

#include <ATen/ATen.h>

#include "core/error.h"

namespace evomem::memory {

MlpScorer::MlpScorer(std::int64_t feature_dim, std::int64_t hidden, std::int64_t layers) : layers_(layers) {
  GenomeLayout layout;
  std::int64_t width = feature_dim;
  for (std::int64_t layer = 0; layer < layers; ++layer) {
    layout.add("mlp." + std::to_string(layer) + ".weight", {hidden, width});
    layout.add("mlp." + std::to_string(layer) + ".bias", {hidden});
    width = hidden;
  }
  layout.add("score.weight", {1, width});
  layout.add("score.bias", {1});
  set_layout(std::move(layout));
}

at::Tensor MlpScorer::score(const at::Tensor& features, const at::Tensor& /*positions*/,
                            const at::Tensor& /*valid*/) const {
  // Rows of one batch entry share a genome: [b, h * n, F] for the products.
  at::Tensor hidden = features.reshape({features.size(0), -1, features.size(3)});
  for (std::int64_t layer = 0; layer < layers_; ++layer) {
    const std::string prefix = "mlp." + std::to_string(layer);
    hidden = at::relu(affine(hidden, {prefix + ".weight"}, {prefix + ".bias"}));
  }
  return affine(hidden, {"score.weight"}, {"score.bias"}).view({features.size(0), features.size(1), features.size(2)});
}

}  // namespace evomem::memory
