#pragma once
// A Titans neural long-term memory (arXiv 2501.00663; docs/titans.md): B independent
// streams, each with the weights W_l of a memory network (memory/titans/network.h) and a
// momentum S_l of the same shapes, updated at test time from the tokens it sees:
//   g_t = ∇_W ||M(k_t) − v_t||²  at the weights of the chunk's start,
//   S_t = η_t S_{t−1} − θ_t g_t,   W_t = (1 − α_t) W_{t−1} + S_t,
// and read without updating: y_t = M(q_t). Chunks are of config.chunk_size tokens, aligned to
// the start of each update() call; each chunk costs two matmuls per layer and the gates'
// closed form (memory/titans/chunk.h), never b outer products.

#include <ATen/ATen.h>

#include <vector>

#include "memory/titans/config.h"
#include "memory/titans/gates.h"
#include "memory/titans/projection.h"

namespace evomem::memory {

class TitansMemory {
 public:
  // Projections from the config (orthogonal or identity; ConfigError for given). Starts
  // with one stream on the CPU.
  TitansMemory(const TitansConfig& config, const TitansGates& gates);
  // Any projections (the only way to use config.projection = given).
  TitansMemory(const TitansConfig& config, const TitansGates& gates, TitansProjection projection);

  // `streams` independent memories on `device`, every one at the same deterministic initial
  // weights (config.init, from config.seed) and zero momentum.
  void reset(std::int64_t streams = 1, at::Device device = at::kCPU);
  // New gates for the next updates (a search's next genome); the state is kept.
  void set_gates(const TitansGates& gates);

  // x [B, T, input_dim], B = streams(): T tokens in chunks of config.chunk_size.
  void update(const at::Tensor& x);
  // x [B, T, input_dim] -> y [B, T, width] = M(q(x)) with the current weights; no update.
  at::Tensor retrieve(const at::Tensor& x) const;
  // The same from queries already projected: q [B, T, width].
  at::Tensor retrieve_queries(const at::Tensor& queries) const;

  // W_l and S_l, each [B, out_l, in_l] (memory/titans/network.h has the shapes).
  const std::vector<at::Tensor>& weights() const { return weights_; }
  const std::vector<at::Tensor>& momentum() const { return momentum_; }
  // Replaces the state (copied, converted to the config's dtype); InputError naming the
  // tensor when a shape differs from the current state's.
  void load_state(const std::vector<at::Tensor>& weights, const std::vector<at::Tensor>& momentum);

  std::int64_t streams() const { return streams_; }
  at::Device device() const { return device_; }
  const TitansConfig& config() const { return config_; }
  const TitansGates& gates() const { return gates_; }
  const TitansProjection& projection() const { return projection_; }

  // The initial weights of one stream, [out_l, in_l] per layer, in the config's dtype on the CPU.
  static std::vector<at::Tensor> initial_weights(const TitansConfig& config);

 private:
  void check_input(const at::Tensor& x, std::int64_t last_dim, const char* what) const;

  TitansConfig config_;
  TitansGates gates_;
  TitansProjection projection_;
  std::int64_t streams_ = 0;
  at::Device device_ = at::kCPU;
  std::vector<at::Tensor> weights_;
  std::vector<at::Tensor> momentum_;
};

}  // namespace evomem::memory
