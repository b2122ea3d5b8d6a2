#include "memory/titans/memory.h"

#include <cmath>

#include "core/error.h"
#include "core/text.h"
#include "memory/titans/chunk.h"
#include "memory/titans/network.h"
#include "memory/titans/random.h"

namespace evomem::memory {

namespace {

// The projections use streams 1..3 of the seeded generator; layer l uses this + l.
constexpr std::uint64_t kFirstLayerStream = 16;

void check_gate_mode(const TitansConfig& config, const TitansGates& gates) {
  if (gates.mode() != config.gate_mode) {
    throw ConfigError(std::string("titans.gate_mode is ") + titans_gate_mode_name(config.gate_mode) +
                      " but the gates are " + titans_gate_mode_name(gates.mode()) +
                      "; build the gates from the same config");
  }
}

// The coefficients of a run of chunks, as tensors in the state's dtype.
struct ChunkRun {
  at::Tensor weight_decay;      // [B, chunks]
  at::Tensor momentum_carry;    // [B, chunks]
  at::Tensor momentum_decay;    // [B, chunks]
  at::Tensor momentum_weights;  // [B, chunks, n]
  at::Tensor weight_weights;    // [B, chunks, n]
};

ChunkRun chunk_run(const TitansGateValues& gates, std::int64_t start, std::int64_t chunks, std::int64_t n,
                   at::ScalarType dtype) {
  const auto slice = [&](const at::Tensor& gate) {
    return gate.narrow(1, start, chunks * n).reshape({gate.size(0), chunks, n});
  };
  const TitansChunkCoefficients coefficients = titans_chunk_coefficients(slice(gates.alpha), slice(gates.eta),
                                                                         slice(gates.theta));
  return {coefficients.weight_decay.to(dtype), coefficients.momentum_carry.to(dtype),
          coefficients.momentum_decay.to(dtype), coefficients.momentum_weights.to(dtype),
          coefficients.weight_weights.to(dtype)};
}

}  // namespace

TitansMemory::TitansMemory(const TitansConfig& config, const TitansGates& gates)
    : TitansMemory(config, gates, TitansProjection(config)) {}

TitansMemory::TitansMemory(const TitansConfig& config, const TitansGates& gates, TitansProjection projection)
    : config_(config), gates_(gates), projection_(std::move(projection)) {
  config_.validate();
  check_gate_mode(config_, gates_);
  const TitansConfig& built_for = projection_.config();
  if (built_for.input_dim != config_.input_dim || built_for.width != config_.width ||
      built_for.projection != config_.projection || built_for.silu != config_.silu ||
      built_for.l2_normalize != config_.l2_normalize || built_for.float64 != config_.float64) {
    throw ConfigError(
        "titans: the projection was built for another config (one of titans.input_dim, width, projection, silu, "
        "l2_normalize, float64 differs); build it from the memory's config");
  }
  reset(1, at::kCPU);
}

std::vector<at::Tensor> TitansMemory::initial_weights(const TitansConfig& config) {
  config.validate();
  const auto dtype = titans_dtype(config);
  std::vector<at::Tensor> weights;
  const auto shapes = titans_layer_shapes(config);
  for (std::size_t layer = 0; layer < shapes.size(); ++layer) {
    const auto [out, in] = shapes[layer];
    if (config.init == TitansInit::kZero) {
      weights.push_back(at::zeros({out, in}, at::TensorOptions().dtype(dtype)));
      continue;
    }
    // Xavier-uniform (as torch.nn.init.xavier_uniform_), so that every layer starts with
    // activations and gradients of about the same size whatever the width.
    const double bound = config.init_scale * std::sqrt(6.0 / static_cast<double>(in + out));
    std::vector<double> values = titans_uniform(out * in, config.seed, kFirstLayerStream + layer);
    for (double& value : values) value *= bound;
    weights.push_back(at::from_blob(values.data(), {out, in}, at::kDouble).to(dtype).clone());
  }
  return weights;
}

void TitansMemory::reset(std::int64_t streams, at::Device device) {
  if (streams < 1) throw InputError("titans memory: reset needs at least one stream, got " + std::to_string(streams));
  streams_ = streams;
  device_ = device;
  weights_.clear();
  momentum_.clear();
  for (const at::Tensor& initial : initial_weights(config_)) {
    weights_.push_back(initial.to(device).unsqueeze(0).repeat({streams, 1, 1}).contiguous());
    momentum_.push_back(at::zeros_like(weights_.back()));
  }
}

void TitansMemory::set_gates(const TitansGates& gates) {
  check_gate_mode(config_, gates);
  gates_ = gates;
}

void TitansMemory::check_input(const at::Tensor& x, std::int64_t last_dim, const char* what) const {
  if (x.dim() != 3 || x.size(0) != streams_ || x.size(2) != last_dim) {
    throw InputError(std::string("titans memory: ") + what + " has shape " + core::shape_text(x.sizes().vec()) +
                     ", expected [" + std::to_string(streams_) + " streams, tokens, " + std::to_string(last_dim) +
                     "] (reset(streams) sets the stream count)");
  }
  if (x.device() != device_) {
    throw InputError(std::string("titans memory: ") + what + " is on " + x.device().str() + " but the memory is on " +
                     device_.str() + "; reset(streams, device) moves it");
  }
}

void TitansMemory::update(const at::Tensor& x) {
  check_input(x, config_.input_dim, "update input");
  const std::int64_t tokens = x.size(1);
  if (tokens == 0) return;
  const at::Tensor keys = projection_.keys(x);
  const at::Tensor values = projection_.values(x);
  const TitansGateValues gates = gates_.compute(x);
  const auto dtype = titans_dtype(config_);

  const std::int64_t size = config_.chunk_size;
  const std::int64_t full_chunks = tokens / size;
  const std::int64_t rest = tokens % size;
  // All chunks' coefficients at once (the gates do not depend on the state): the full chunks
  // as one [B, chunks, b] batch, the shorter last chunk on its own.
  ChunkRun full;
  ChunkRun last;
  if (full_chunks > 0) full = chunk_run(gates, 0, full_chunks, size, dtype);
  if (rest > 0) last = chunk_run(gates, full_chunks * size, 1, rest, dtype);

  const std::int64_t chunk_count = full_chunks + (rest > 0 ? 1 : 0);
  TitansTrace trace;
  for (std::int64_t chunk = 0; chunk < chunk_count; ++chunk) {
    const bool is_full = chunk < full_chunks;
    const ChunkRun& run = is_full ? full : last;
    const std::int64_t index = is_full ? chunk : 0;
    const std::int64_t n = is_full ? size : rest;
    const at::Tensor chunk_keys = keys.narrow(1, chunk * size, n);
    const at::Tensor chunk_values = values.narrow(1, chunk * size, n);

    // Every gradient of the chunk at the chunk's starting weights.
    const at::Tensor output = titans_forward(weights_, chunk_keys, &trace);
    const std::vector<at::Tensor> deltas = titans_deltas(weights_, trace, output, chunk_values);
    at::Tensor momentum_weights = run.momentum_weights.select(1, index);  // [B, n]
    at::Tensor weight_weights = run.weight_weights.select(1, index);
    if (config_.grad_clip > 0.0) {
      // Scaling g_t by min(1, clip / ||g_t||) is scaling its coefficients.
      const at::Tensor norms = titans_gradient_norms(trace, deltas);
      const at::Tensor scale = (config_.grad_clip / norms).clamp_max(1.0);  // ||g|| = 0 gives inf -> 1
      momentum_weights = momentum_weights * scale;
      weight_weights = weight_weights * scale;
    }
    const at::Tensor weight_decay = run.weight_decay.select(1, index).view({streams_, 1, 1});
    const at::Tensor momentum_carry = run.momentum_carry.select(1, index).view({streams_, 1, 1});
    const at::Tensor momentum_decay = run.momentum_decay.select(1, index).view({streams_, 1, 1});
    for (std::size_t layer = 0; layer < weights_.size(); ++layer) {
      const at::Tensor& delta = deltas[layer];        // [B, n, out]
      const at::Tensor& input = trace.inputs[layer];  // [B, n, in]
      // W_end = P_β W + s S − Δᵀ diag(e) Z, then S_end = P_η S − Δᵀ diag(c) Z (W first: it
      // needs the chunk's starting momentum).
      weights_[layer].mul_(weight_decay).addcmul_(momentum_[layer], momentum_carry);
      weights_[layer].baddbmm_((delta * weight_weights.unsqueeze(-1)).transpose(1, 2), input, 1.0, -1.0);
      momentum_[layer].mul_(momentum_decay);
      momentum_[layer].baddbmm_((delta * momentum_weights.unsqueeze(-1)).transpose(1, 2), input, 1.0, -1.0);
    }
  }
}

at::Tensor TitansMemory::retrieve(const at::Tensor& x) const {
  check_input(x, config_.input_dim, "retrieve input");
  return titans_forward(weights_, projection_.queries(x));
}

at::Tensor TitansMemory::retrieve_queries(const at::Tensor& queries) const {
  check_input(queries, config_.width, "queries");
  return titans_forward(weights_, queries.to(titans_dtype(config_)));
}

void TitansMemory::load_state(const std::vector<at::Tensor>& weights, const std::vector<at::Tensor>& momentum) {
  if (weights.size() != weights_.size() || momentum.size() != momentum_.size()) {
    throw InputError("titans memory: load_state needs " + std::to_string(weights_.size()) +
                     " weight and momentum tensors (one per layer), got " + std::to_string(weights.size()) + " and " +
                     std::to_string(momentum.size()));
  }
  const auto dtype = titans_dtype(config_);
  std::vector<at::Tensor> new_weights;
  std::vector<at::Tensor> new_momentum;
  for (std::size_t layer = 0; layer < weights_.size(); ++layer) {
    for (const bool is_weight : {true, false}) {
      const at::Tensor& given = is_weight ? weights[layer] : momentum[layer];
      const at::Tensor& current = is_weight ? weights_[layer] : momentum_[layer];
      if (!given.defined() || given.sizes() != current.sizes()) {
        throw InputError(std::string("titans memory: load_state ") + (is_weight ? "weights[" : "momentum[") +
                         std::to_string(layer) + "] has shape " +
                         (given.defined() ? core::shape_text(given.sizes().vec()) : "(none)") + ", expected " +
                         core::shape_text(current.sizes().vec()));
      }
      (is_weight ? new_weights : new_momentum).push_back(given.to(device_, dtype).contiguous().clone());
    }
  }
  weights_ = std::move(new_weights);
  momentum_ = std::move(new_momentum);
}

}  // namespace evomem::memory
