#include "memory/titans/chunk.h"

#include "core/error.h"

namespace evomem::memory {

TitansChunkCoefficients titans_chunk_coefficients(const at::Tensor& alpha, const at::Tensor& eta,
                                                  const at::Tensor& theta) {
  EVOMEM_CHECK(alpha.sizes() == eta.sizes() && alpha.sizes() == theta.sizes() && alpha.dim() >= 1 &&
               alpha.size(-1) >= 1);
  const auto cpu = [](const at::Tensor& gate) { return gate.to(at::kCPU, at::kDouble).contiguous(); };
  const at::Tensor a = cpu(alpha);
  const at::Tensor h = cpu(eta);
  const at::Tensor lr = cpu(theta);
  const std::int64_t n = a.size(-1);
  const std::int64_t rows = a.numel() / n;
  const std::vector<std::int64_t> row_shape(a.sizes().begin(), a.sizes().end() - 1);
  const auto options = at::TensorOptions().dtype(at::kDouble);
  at::Tensor weight_decay = at::empty(row_shape, options);
  at::Tensor momentum_carry = at::empty(row_shape, options);
  at::Tensor momentum_decay = at::empty(row_shape, options);
  at::Tensor momentum_weights = at::empty(a.sizes(), options);
  at::Tensor weight_weights = at::empty(a.sizes(), options);

  const double* alphas = a.data_ptr<double>();
  const double* etas = h.data_ptr<double>();
  const double* thetas = lr.data_ptr<double>();
  double* c = momentum_weights.data_ptr<double>();
  double* e = weight_weights.data_ptr<double>();
  for (std::int64_t row = 0; row < rows; ++row) {
    const std::int64_t base = row * n;
    double beta_after = 1.0;  // B_j = Π_{i>j} β_i
    double eta_after = 1.0;   // H_{j,n} = Π_{i>j} η_i
    double next_d = 0.0;      // D_{j+1}
    double next_eta = 0.0;    // η_{j+1}; 0 past the end, so that D_n = B_n = 1
    for (std::int64_t j = n - 1; j >= 0; --j) {
      const double d = beta_after + next_eta * next_d;
      c[base + j] = thetas[base + j] * eta_after;
      e[base + j] = thetas[base + j] * d;
      next_d = d;
      next_eta = etas[base + j];
      beta_after *= 1.0 - alphas[base + j];
      eta_after *= etas[base + j];
    }
    weight_decay.data_ptr<double>()[row] = beta_after;  // now Π over the whole chunk
    momentum_decay.data_ptr<double>()[row] = eta_after;
    momentum_carry.data_ptr<double>()[row] = etas[base] * next_d;  // s = η_1 D_1
  }
  const at::Device device = alpha.device();
  return {weight_decay.to(device), momentum_carry.to(device), momentum_decay.to(device), momentum_weights.to(device),
          weight_weights.to(device)};
}

}  // namespace evomem::memory
