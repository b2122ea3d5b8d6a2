#pragma once
// Per-token MLP scorer (ablation of BAM: no interaction between tokens):
// `layers` hidden ReLU layers of width `hidden`, then a linear read-out to one score.
// An all-zero genome scores every token 0.

#include "memory/scorer.h"

namespace evomem::memory {

class MlpScorer : public Scorer {
 public:
  MlpScorer(std::int64_t feature_dim, std::int64_t hidden, std::int64_t layers);
  at::Tensor score(const at::Tensor& features, const at::Tensor& positions, const at::Tensor& valid) const override;

 private:
  std::int64_t layers_;
};

}  // namespace evomem::memory
