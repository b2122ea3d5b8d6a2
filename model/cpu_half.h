#pragma once
// LibTorch 1.13's CPU kernels have no float16 matrix products (addmm/bmm and silu raise "not
// implemented for 'Half'"), while CUDA has them. On the CPU, float16 models therefore run
// their products in float32 and round the result back to float16; everything else (cache,
// activations, weights in memory) stays float16. A float32 product of a few rows (decoding)
// takes evomem's own kernel (cpu_kernels.h), which reads the weight matrix once.

#include <ATen/ATen.h>

#include "model/cpu_kernels.h"

namespace evomem::model {

inline bool needs_float32_products(const at::Tensor& x) { return x.scalar_type() == at::kHalf && x.is_cpu(); }

inline at::Tensor linear(const at::Tensor& x, const at::Tensor& weight) {
  if (takes_cpu_kernels(x) && x.numel() <= kMaxFewRows * x.size(-1) && takes_cpu_kernels(weight)) {
    return few_row_linear(x, weight);
  }
  if (needs_float32_products(x)) return at::linear(x.to(at::kFloat), weight.to(at::kFloat)).to(at::kHalf);
  return at::linear(x, weight);
}

inline at::Tensor matmul(const at::Tensor& a, const at::Tensor& b) {
  if (needs_float32_products(a)) return at::matmul(a.to(at::kFloat), b.to(at::kFloat)).to(at::kHalf);
  return at::matmul(a, b);
}

inline at::Tensor silu(const at::Tensor& x) {
  if (needs_float32_products(x)) return at::silu(x.to(at::kFloat)).to(at::kHalf);
  return at::silu(x);
}

}  // namespace evomem::model
