#include "memory/titans/gates.h"

#include <cmath>
#include <sstream>

#include "core/error.h"
#include "core/text.h"

namespace evomem::memory {

namespace {

const char* const kGateNames[3] = {"alpha", "eta", "theta"};

double logit(double p) { return std::log(p) - std::log1p(-p); }
double sigmoid(double z) { return 1.0 / (1.0 + std::exp(-z)); }

std::string number_text(double value) {
  std::ostringstream out;
  out << value;
  return out.str();
}

void check_linear(const TitansGateLinear& linear, const char* name, std::int64_t input_dim) {
  if (static_cast<std::int64_t>(linear.weight.size()) != input_dim) {
    throw InputError(std::string("titans gates: ") + name + ".weight has " + std::to_string(linear.weight.size()) +
                     " values, expected titans.input_dim = " + std::to_string(input_dim));
  }
  for (const double value : linear.weight) {
    if (!std::isfinite(value))
      throw InputError(std::string("titans gates: ") + name + ".weight has a non-finite value");
  }
  if (!std::isfinite(linear.bias)) throw InputError(std::string("titans gates: ") + name + ".bias is not finite");
}

}  // namespace

TitansGates TitansGates::constant(double alpha, double eta, double theta) {
  if (!(alpha >= 0.0 && alpha <= 1.0))
    throw InputError("titans gates: alpha must be in [0, 1], got " + number_text(alpha));
  if (!(eta >= 0.0 && eta <= 1.0)) throw InputError("titans gates: eta must be in [0, 1], got " + number_text(eta));
  if (!(theta >= 0.0 && std::isfinite(theta)))
    throw InputError("titans gates: theta must be a finite number >= 0, got " + number_text(theta));
  TitansGates gates;
  gates.mode_ = TitansGateMode::kConstant;
  gates.alpha_ = alpha;
  gates.eta_ = eta;
  gates.theta_ = theta;
  return gates;
}

TitansGates TitansGates::data_dependent(const TitansConfig& config, TitansGateLinear alpha, TitansGateLinear eta,
                                        TitansGateLinear theta) {
  config.validate();
  check_linear(alpha, "alpha", config.input_dim);
  check_linear(eta, "eta", config.input_dim);
  check_linear(theta, "theta", config.input_dim);
  TitansGates gates;
  gates.mode_ = TitansGateMode::kDataDependent;
  gates.input_dim_ = config.input_dim;
  gates.theta_max_ = config.theta_max;
  gates.alpha_linear_ = std::move(alpha);
  gates.eta_linear_ = std::move(eta);
  gates.theta_linear_ = std::move(theta);
  return gates;
}

TitansGates TitansGates::published(const TitansConfig& config) {
  return around(config, kTitansPublishedAlpha, kTitansPublishedEta, kTitansPublishedTheta);
}

TitansGates TitansGates::around(const TitansConfig& config, double alpha, double eta, double theta) {
  if (!(alpha > 0.0 && alpha < 1.0)) throw InputError("alpha must be in (0, 1), got " + number_text(alpha));
  if (!(eta > 0.0 && eta < 1.0)) throw InputError("eta must be in (0, 1), got " + number_text(eta));
  if (config.gate_mode == TitansGateMode::kConstant) {
    if (!(theta > 0.0 && std::isfinite(theta))) throw InputError("theta must be > 0, got " + number_text(theta));
    return constant(alpha, eta, theta);
  }
  if (!(theta > 0.0 && theta < config.theta_max)) {
    throw ConfigError("theta = " + number_text(theta) + " needs titans.theta_max above it (now " +
                      number_text(config.theta_max) + ") to be represented by data-dependent gates");
  }
  const std::vector<double> zeros(static_cast<std::size_t>(config.input_dim), 0.0);
  return data_dependent(config, {zeros, logit(alpha)}, {zeros, logit(eta)}, {zeros, logit(theta / config.theta_max)});
}

GenomeLayout TitansGates::layout(const TitansConfig& config) {
  config.validate();
  GenomeLayout layout;
  if (config.gate_mode == TitansGateMode::kConstant) {
    layout.add("alpha.logit", {1});
    layout.add("eta.logit", {1});
    layout.add("theta.log", {1});
    return layout;
  }
  for (const char* name : kGateNames) {
    layout.add(std::string(name) + ".weight", {config.input_dim});
    layout.add(std::string(name) + ".bias", {1});
  }
  return layout;
}

TitansGates TitansGates::from_genome(const TitansConfig& config, const std::vector<float>& values) {
  const GenomeLayout genome_layout = layout(config);
  if (static_cast<std::int64_t>(values.size()) != genome_layout.size()) {
    throw InputError("titans gates: the genome has " + std::to_string(values.size()) + " values, the " +
                     titans_gate_mode_name(config.gate_mode) + " gate layout needs " +
                     std::to_string(genome_layout.size()) + ":\n" + genome_layout.describe());
  }
  for (const auto& entry : genome_layout.entries()) {
    for (std::int64_t i = 0; i < entry.size; ++i) {
      if (!std::isfinite(values[static_cast<std::size_t>(entry.offset + i)])) {
        throw InputError("titans gates: genome tensor '" + entry.name + "' has a non-finite value");
      }
    }
  }
  if (config.gate_mode == TitansGateMode::kConstant) {
    return constant(sigmoid(values[0]), sigmoid(values[1]), std::exp(static_cast<double>(values[2])));
  }
  TitansGateLinear linears[3];
  for (int gate = 0; gate < 3; ++gate) {
    const GenomeEntry* weight = genome_layout.find(std::string(kGateNames[gate]) + ".weight");
    const GenomeEntry* bias = genome_layout.find(std::string(kGateNames[gate]) + ".bias");
    EVOMEM_CHECK(weight != nullptr && bias != nullptr);
    linears[gate].weight.assign(values.begin() + weight->offset, values.begin() + weight->offset + weight->size);
    linears[gate].bias = values[static_cast<std::size_t>(bias->offset)];
  }
  return data_dependent(config, linears[0], linears[1], linears[2]);
}

std::vector<float> TitansGates::to_genome() const {
  if (mode_ == TitansGateMode::kConstant) {
    auto open = [](double value, const char* name) {
      if (!(value > 0.0 && value < 1.0)) {
        throw InputError(std::string("titans gates: ") + name + " = " + number_text(value) +
                         " has no finite logit; the constant-gate genome needs " + name + " in (0, 1)");
      }
    };
    open(alpha_, "alpha");
    open(eta_, "eta");
    if (!(theta_ > 0.0))
      throw InputError("titans gates: theta = 0 has no finite log; the constant-gate genome needs theta > 0");
    return {static_cast<float>(logit(alpha_)), static_cast<float>(logit(eta_)), static_cast<float>(std::log(theta_))};
  }
  std::vector<float> out;
  for (const TitansGateLinear* linear : {&alpha_linear_, &eta_linear_, &theta_linear_}) {
    for (const double value : linear->weight) out.push_back(static_cast<float>(value));
    out.push_back(static_cast<float>(linear->bias));
  }
  return out;
}

TitansGateValues TitansGates::compute(const at::Tensor& x) const {
  if (x.dim() != 3)
    throw InputError("titans gates: input features must be [streams, tokens, input_dim], got " +
                     core::shape_text(x.sizes().vec()));
  const auto options = x.options().dtype(at::kDouble);
  const std::vector<std::int64_t> shape{x.size(0), x.size(1)};
  if (mode_ == TitansGateMode::kConstant) {
    return {at::full(shape, alpha_, options), at::full(shape, eta_, options), at::full(shape, theta_, options)};
  }
  if (x.size(2) != input_dim_) {
    throw InputError("titans gates: input features have " + std::to_string(x.size(2)) +
                     " dims, the gates were built for titans.input_dim = " + std::to_string(input_dim_));
  }
  // One [input_dim, 3] product for all three gates.
  std::vector<double> weights(static_cast<std::size_t>(input_dim_ * 3));
  const TitansGateLinear* linears[3] = {&alpha_linear_, &eta_linear_, &theta_linear_};
  for (std::int64_t i = 0; i < input_dim_; ++i) {
    for (int gate = 0; gate < 3; ++gate)
      weights[static_cast<std::size_t>(i * 3 + gate)] = linears[gate]->weight[static_cast<std::size_t>(i)];
  }
  const at::Tensor weight = at::from_blob(weights.data(), {input_dim_, 3}, at::kDouble).to(x.device());
  const at::Tensor bias = at::tensor(std::vector<double>{alpha_linear_.bias, eta_linear_.bias, theta_linear_.bias},
                                     at::kDouble)
                              .to(x.device());
  // Unit-length inputs: a weight's effect on the pre-activation does not depend on the scale
  // of the features (a whitened embedding or a hidden state of norm 50 alike).
  const at::Tensor input = x.to(at::kDouble);
  const at::Tensor unit = input / input.norm(2, {2}, /*keepdim=*/true).clamp_min(1e-12);
  const at::Tensor gates = at::sigmoid(at::matmul(unit, weight) + bias);
  return {gates.select(2, 0).contiguous(), gates.select(2, 1).contiguous(),
          (gates.select(2, 2) * theta_max_).contiguous()};
}

double TitansGates::alpha() const {
  EVOMEM_CHECK(mode_ == TitansGateMode::kConstant, "TitansGates::alpha() on data-dependent gates");
  return alpha_;
}
double TitansGates::eta() const {
  EVOMEM_CHECK(mode_ == TitansGateMode::kConstant, "TitansGates::eta() on data-dependent gates");
  return eta_;
}
double TitansGates::theta() const {
  EVOMEM_CHECK(mode_ == TitansGateMode::kConstant, "TitansGates::theta() on data-dependent gates");
  return theta_;
}

std::string TitansGates::describe() const {
  std::ostringstream out;
  if (mode_ == TitansGateMode::kConstant) {
    out << "constant alpha=" << number_text(alpha_) << " eta=" << number_text(eta_) << " theta=" << number_text(theta_);
  } else {
    out << "data_dependent input_dim=" << input_dim_ << " theta_max=" << number_text(theta_max_)
        << " at zero input: alpha=" << number_text(sigmoid(alpha_linear_.bias))
        << " eta=" << number_text(sigmoid(eta_linear_.bias))
        << " theta=" << number_text(theta_max_ * sigmoid(theta_linear_.bias));
  }
  return out.str();
}

}  // namespace evomem::memory
