#pragma once
// The fixed maps from input features x_t to the Titans memory's keys, values and queries:
// k = f(W_K x), v = g(W_V x), q = f(W_Q x), with f = optional SiLU then optional L2 norm and
// g = optional SiLU. They are frozen, so they never enter the memory's gradient.

#include <ATen/ATen.h>

#include "memory/titans/config.h"

namespace evomem::memory {

class TitansProjection {
 public:
  // Orthogonal (drawn from config.seed) or identity projections; ConfigError for kGiven.
  explicit TitansProjection(const TitansConfig& config);
  // User-supplied matrices, each [width, input_dim] (the nn.Linear / Hugging Face layout:
  // k = x W_Kᵀ). InputError naming the tensor when a shape is wrong.
  static TitansProjection given(const TitansConfig& config, const at::Tensor& w_k, const at::Tensor& w_v,
                                const at::Tensor& w_q);

  // x [..., input_dim] -> [..., width], in the projection's dtype and on x's device.
  at::Tensor keys(const at::Tensor& x) const;
  at::Tensor values(const at::Tensor& x) const;
  at::Tensor queries(const at::Tensor& x) const;

  // The config the projection was built for.
  const TitansConfig& config() const { return config_; }
  // [width, input_dim]; undefined for the identity projection.
  const at::Tensor& w_k() const { return w_k_; }
  const at::Tensor& w_v() const { return w_v_; }
  const at::Tensor& w_q() const { return w_q_; }

 private:
  TitansProjection(const TitansConfig& config, at::Tensor w_k, at::Tensor w_v, at::Tensor w_q);
  at::Tensor project(const at::Tensor& x, const at::Tensor& weight, bool normalize) const;

  TitansConfig config_;
  at::Tensor w_k_;
  at::Tensor w_v_;
  at::Tensor w_q_;
};

// The dtype of the memory's state and projections under `config` (float32 or float64).
at::ScalarType titans_dtype(const TitansConfig& config);

}  // namespace evomem::memory
