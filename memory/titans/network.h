#pragma once
// The memory network M of a Titans memory and its analytic per-token gradients, batched over
// B independent streams. Layer l has weight W_l [B, out_l, in_l] and no bias (as in
// lucidrains/titans-pytorch's MemoryMLP; a bias would only add a per-layer offset that the
// forgetting gate then decays toward zero):
//   depth 1:  M(k) = W_0 k                                   (W_0: [d, d])
//   depth L:  z_0 = k, a_l = W_l z_l, z_{l+1} = SiLU(a_l), M(k) = a_{L-1}
//             (W_0: [h, d], W_1..W_{L-2}: [h, h], W_{L-1}: [d, h], h = expansion * d)
// Loss of token t: ℓ_t = ||M(k_t) − v_t||². Its gradient w.r.t. W_l is the outer product
// δ_{l,t} z_{l,t}ᵀ with δ_{L-1,t} = 2(M(k_t) − v_t) and δ_{l,t} = (W_{l+1}ᵀ δ_{l+1,t}) ⊙ SiLU'(a_{l,t}).
// No autograd: the update needs only δ and z, never the b outer products themselves.

#include <ATen/ATen.h>

#include <array>
#include <vector>

#include "memory/titans/config.h"

namespace evomem::memory {

// [out, in] of each memory layer under `config`.
std::vector<std::array<std::int64_t, 2>> titans_layer_shapes(const TitansConfig& config);

// What a forward pass keeps for the backward pass.
struct TitansTrace {
  std::vector<at::Tensor> inputs;          // z_l [B, n, in_l]; z_0 = the keys
  std::vector<at::Tensor> preactivations;  // a_l [B, n, out_l] of the hidden layers (not the last)
};

// keys [B, n, d] -> M(keys) [B, n, d] with weights [B, out_l, in_l]; fills `trace` when given.
at::Tensor titans_forward(const std::vector<at::Tensor>& weights, const at::Tensor& keys, TitansTrace* trace = nullptr);

// δ_l [B, n, out_l] of every layer for the per-token losses (see the file comment).
std::vector<at::Tensor> titans_deltas(const std::vector<at::Tensor>& weights, const TitansTrace& trace,
                                      const at::Tensor& output, const at::Tensor& values);

// ||g_t|| over all layers [B, n]: sqrt(Σ_l ||δ_{l,t}||² ||z_{l,t}||²), exact for outer products.
at::Tensor titans_gradient_norms(const TitansTrace& trace, const std::vector<at::Tensor>& deltas);

// Per-token losses ℓ_t [B, n] (tests and diagnostics).
at::Tensor titans_loss(const std::vector<at::Tensor>& weights, const at::Tensor& keys, const at::Tensor& values);

// Per-token gradients materialised, [B, n, out_l, in_l] per layer: the slow form the update
// avoids, for tests and references.
std::vector<at::Tensor> titans_token_gradients(const std::vector<at::Tensor>& weights, const at::Tensor& keys,
                                               const at::Tensor& values);

}  // namespace evomem::memory
