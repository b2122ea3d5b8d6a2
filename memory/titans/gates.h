#pragma once
// The Titans memory's gates, which are what a search changes: α (forgetting, [0, 1]),
// η (surprise / momentum decay, [0, 1]) and θ (learning rate, >= 0), either constant or
// data-dependent on the raw input feature x_t, scaled to unit length (x̂_t = x_t / ||x_t||):
//   α_t = sigmoid(x̂_t·w_α + b_α),  η_t = sigmoid(x̂_t·w_η + b_η),  θ_t = θ_max·sigmoid(x̂_t·w_θ + b_θ).
// Zero weights make them constant gates at the biases' values, so a search can start from the
// best constants and move away from them only where the input says so.
// As a genome (a flat float vector CMA-ES can search without bounds):
//   constant:        "alpha.logit" [1], "eta.logit" [1], "theta.log" [1]
//                    (α = sigmoid(alpha.logit), η = sigmoid(eta.logit), θ = exp(theta.log))
//   data_dependent:  "alpha.weight" [input_dim], "alpha.bias" [1], "eta.weight", "eta.bias",
//                    "theta.weight", "theta.bias" (θ_max comes from the config, not the genome)

#include <ATen/ATen.h>

#include <vector>

#include "memory/genome.h"
#include "memory/titans/config.h"

namespace evomem::memory {

// The published fixed values (lucidrains/titans-pytorch and others).
constexpr double kTitansPublishedAlpha = 0.001;
constexpr double kTitansPublishedEta = 0.9;
constexpr double kTitansPublishedTheta = 0.01;

// Per-token gate values, each [B, T], float64 (the chunk coefficients are products of many
// of them and are computed in float64).
struct TitansGateValues {
  at::Tensor alpha;
  at::Tensor eta;
  at::Tensor theta;
};

// One data-dependent gate: pre-activation x·weight + bias.
struct TitansGateLinear {
  std::vector<double> weight;  // [input_dim]
  double bias = 0.0;
};

class TitansGates {
 public:
  // Constant gates in their natural space; InputError naming the gate when out of range.
  static TitansGates constant(double alpha, double eta, double theta);
  // Data-dependent gates for input features of config.input_dim; θ is scaled by config.theta_max.
  static TitansGates data_dependent(const TitansConfig& config, TitansGateLinear alpha, TitansGateLinear eta,
                                    TitansGateLinear theta);
  // The published α, η, θ in config.gate_mode; data-dependent: zero weights and biases at
  // logit(α), logit(η), logit(θ / θ_max) (ConfigError when θ_max <= 0.01).
  static TitansGates published(const TitansConfig& config);
  // Gates at α, η, θ in config.gate_mode (data-dependent: zero weights, the biases at their
  // logits). α and η must lie in (0, 1) and θ in (0, θ_max) (InputError / ConfigError).
  static TitansGates around(const TitansConfig& config, double alpha, double eta, double theta);

  // The genome layout of config.gate_mode (see the file comment).
  static GenomeLayout layout(const TitansConfig& config);
  // InputError when the size is wrong or a value is not finite.
  static TitansGates from_genome(const TitansConfig& config, const std::vector<float>& values);
  // Inverse of from_genome (up to float rounding). Constant gates need α and η in (0, 1) and
  // θ > 0 (the ends have no finite logit / log); InputError naming the gate otherwise.
  std::vector<float> to_genome() const;

  // x [B, T, input_dim] -> gate values [B, T] (float64, on x's device).
  TitansGateValues compute(const at::Tensor& x) const;

  TitansGateMode mode() const { return mode_; }
  // Constant mode only (InternalError otherwise).
  double alpha() const;
  double eta() const;
  double theta() const;
  // One line for logs: "constant alpha=0.001 eta=0.9 theta=0.01" or the data-dependent biases.
  std::string describe() const;

 private:
  TitansGates() = default;

  TitansGateMode mode_ = TitansGateMode::kConstant;
  // Constant mode.
  double alpha_ = kTitansPublishedAlpha;
  double eta_ = kTitansPublishedEta;
  double theta_ = kTitansPublishedTheta;
  // Data-dependent mode.
  std::int64_t input_dim_ = 0;
  double theta_max_ = 1.0;
  TitansGateLinear alpha_linear_;
  TitansGateLinear eta_linear_;
  TitansGateLinear theta_linear_;
};

}  // namespace evomem::memory
