#pragma once
// BAM, the backward-attention memory scorer of the published NAMM: one head of self-attention
// over the cached tokens of one KV head in which each token attends to itself and to newer
// tokens (a backward mask), then a feature-wise modulation and a linear read-out:
//   q, k, v = x Wq + bq, x Wk + bk, x Wv + bv            (F -> d each)
//   a       = softmax(q k^T / sqrt(d) + backward mask) v
//   res, mult = split(a Wo + bo)                          (d -> 2F)
//   x'      = x * (1 + mult) + res
//   score   = x' w + c                                    (F -> 1)
// With F = 25 and d = 32 that is 3 * 832 + 1650 + 26 = 4,172 parameters, shared by every
// layer and head. An all-zero genome scores every token 0.

#include "memory/scorer.h"

namespace evomem::memory {

class BamScorer : public Scorer {
 public:
  BamScorer(std::int64_t feature_dim, std::int64_t attention_dim);
  at::Tensor score(const at::Tensor& features, const at::Tensor& positions, const at::Tensor& valid) const override;

  // The backward mask [b, h, n, n]: token i may attend to j iff j is valid and not older.
  static at::Tensor backward_mask(const at::Tensor& positions, const at::Tensor& valid);

 private:
  // The direct form: every query against every key under backward_mask. Used for inputs with
  // repeated positions in a head, where slot order cannot stand in for the mask.
  at::Tensor score_masked(const at::Tensor& features, const at::Tensor& positions, const at::Tensor& valid) const;
  // res / mult modulation and the linear read-out: x [g, n, F], attended [g, n, d] -> [g, n]
  // (g = batch * heads, batch entry r scored with genome r when there are several).
  at::Tensor read_out(const at::Tensor& x, const at::Tensor& attended, std::int64_t batch) const;

  std::int64_t feature_dim_;
  std::int64_t attention_dim_;
};

}  // namespace evomem::memory
