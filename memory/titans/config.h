#pragma once
// The configuration of a Titans neural long-term memory (docs/titans.md): projections, the
// memory network, the chunked update and the gate mode. Everything here is fixed during a
// search; what the search changes (the gates) lives in memory/titans/gates.h.

#include <cstdint>
#include <string>

namespace evomem::memory {

// How keys, values and queries are made from the input features.
enum class TitansProjectionKind {
  kOrthogonal,  // fixed random (semi-)orthogonal W_K, W_V, W_Q drawn from `seed`
  kIdentity,    // k = v = q = x (input_dim must equal width)
  kGiven,       // user-supplied W_K, W_V, W_Q, e.g. a frozen backbone layer's own projections
};

// Constant gates: one α, η, θ for every token. Data-dependent gates: sigmoids of linear maps of
// the raw input feature x_t (not of the projected key, so that the gates can see everything
// the backbone put into x_t, as in the published implementations).
enum class TitansGateMode { kConstant, kDataDependent };

// How reset() initialises the memory weights (momentum always starts at zero).
enum class TitansInit {
  kXavier,  // uniform(-a, a), a = init_scale * sqrt(6 / (fan_in + fan_out)), from `seed`
  kZero,    // all zero; only for depth 1 (a zero MLP has zero gradients and never learns)
};

struct TitansConfig {
  std::int64_t input_dim = 64;  // feature size of x_t
  std::int64_t width = 64;      // d: key, value and query size
  std::int64_t depth = 2;       // L_M: 1 = linear memory M(k) = W k; >= 2 = MLP, SiLU between layers
  std::int64_t expansion = 2;   // hidden width of an MLP memory = expansion * width

  TitansProjectionKind projection = TitansProjectionKind::kOrthogonal;
  bool silu = true;          // SiLU on k, v and q (after the projection, before the L2 norm)
  bool l2_normalize = true;  // unit-length k and q (v is left as it is)

  std::int64_t chunk_size = 16;  // b: gradients of a chunk are taken at its starting weights; 1 = per token
  double grad_clip = 0.0;        // max L2 norm of one token's gradient over all layers; 0 = off

  TitansGateMode gate_mode = TitansGateMode::kConstant;
  double theta_max = 1.0;  // data-dependent θ_t = theta_max * sigmoid(...)

  TitansInit init = TitansInit::kXavier;
  double init_scale = 1.0;
  std::uint64_t seed = 0;  // projections and initial weights
  bool float64 = false;    // state and projections in float64 (tests); float32 otherwise

  std::int64_t hidden_width() const { return depth == 1 ? width : expansion * width; }
  // ConfigError naming the key ("titans.depth must be 1..4") when a value is out of range.
  void validate() const;
};

const char* titans_projection_name(TitansProjectionKind kind);
const char* titans_gate_mode_name(TitansGateMode mode);
// Inverses of the names above; ConfigError naming `key` and the accepted names otherwise.
TitansProjectionKind parse_titans_projection(const std::string& name, const std::string& key);
TitansGateMode parse_titans_gate_mode(const std::string& name, const std::string& key);

}  // namespace evomem::memory
