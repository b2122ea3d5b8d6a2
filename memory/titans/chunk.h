#pragma once
// The closed form of one chunk of the Titans update. Inside a chunk of n tokens every
// gradient g_j is taken at the chunk's starting weights W_0, so the recurrence
//   S_t = η_t S_{t−1} − θ_t g_j,   W_t = (1 − α_t) W_{t−1} + S_t      (t = 1..n)
// is linear in (W_0, S_0, g_1..g_n) and its end state is
//   S_n = P_η S_0 − Σ_j c_j g_j
//   W_n = P_β W_0 + s S_0 − Σ_j e_j g_j
// with β_t = 1 − α_t, B_t = Π_{i=t+1..n} β_i, H_{j,t} = Π_{i=j+1..t} η_i (empty products = 1):
//   P_β = Π_t β_t,  P_η = Π_t η_t,  c_j = θ_j H_{j,n},
//   s = Σ_{t=1..n} H_{0,t} B_t,  e_j = θ_j Σ_{t=j..n} H_{j,t} B_t.
// Σ_j c_j g_j with g_j = δ_j z_jᵀ is one matmul Δᵀ diag(c) Z per layer, which is why only
// these coefficients, not the intermediate states, are needed. With D_j = Σ_{t>=j} H_{j,t} B_t
// (so e_j = θ_j D_j and s = η_1 D_1) one backward scan gives everything:
//   D_n = 1,  D_j = B_j + η_{j+1} D_{j+1},  B_{j-1} = β_j B_j,  H_{j-1,n} = η_j H_{j,n}
// in float64, O(n) per chunk, with no divisions or logs (η = 0 and α = 1 are exact).

#include <ATen/ATen.h>

namespace evomem::memory {

struct TitansChunkCoefficients {
  at::Tensor weight_decay;      // P_β [...]
  at::Tensor momentum_carry;    // s [...]
  at::Tensor momentum_decay;    // P_η [...]
  at::Tensor momentum_weights;  // c [..., n]
  at::Tensor weight_weights;    // e [..., n]
};

// Gate values [..., n] (any leading dims, e.g. [B, chunks, n]) -> coefficients, float64, on
// the gates' device (the scan itself runs on the CPU: it is B·T scalar steps).
TitansChunkCoefficients titans_chunk_coefficients(const at::Tensor& alpha, const at::Tensor& eta,
                                                  const at::Tensor& theta);

}  // namespace evomem::memory
