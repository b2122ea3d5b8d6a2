#include "model/rope.h"

#include <ATen/ATen.h>

#include <cmath>

#include "model/cpu_kernels.h"

namespace evomem::model {

namespace {

at::Tensor default_inverse_frequencies(double base, std::int64_t head_dim) {
  // base ** (arange(0, d, 2) / d) in float32, then reciprocal, as transformers does.
  const at::Tensor exponents = at::arange(0, head_dim, 2, at::TensorOptions().dtype(at::kLong)).to(at::kFloat) /
                               static_cast<double>(head_dim);
  return 1.0 / at::pow(base, exponents);
}

}  // namespace

at::Tensor rope_inverse_frequencies(const LlamaConfig& config, std::int64_t sequence_length) {
  const RopeScaling& scaling = config.rope_scaling;
  switch (scaling.type) {
    case RopeScaling::Type::kNone: return default_inverse_frequencies(config.rope_theta, config.head_dim);
    case RopeScaling::Type::kLinear:
      return default_inverse_frequencies(config.rope_theta, config.head_dim) / scaling.factor;
    case RopeScaling::Type::kDynamic: {
      // NTK-aware: once the context exceeds the trained length, enlarge the base so that the
      // lowest frequency still spans the whole context.
      const double max_positions = static_cast<double>(config.max_position_embeddings);
      const double length = std::max(static_cast<double>(sequence_length), max_positions);
      const double dim = static_cast<double>(config.head_dim);
      const double base = config.rope_theta *
                          std::pow(scaling.factor * length / max_positions - (scaling.factor - 1.0), dim / (dim - 2.0));
      return default_inverse_frequencies(base, config.head_dim);
    }
    case RopeScaling::Type::kLlama3: {
      // Long wavelengths are divided by `factor`, short ones kept, and the band in between
      // interpolated smoothly (Llama 3.1's published recipe).
      const at::Tensor inverse = default_inverse_frequencies(config.rope_theta, config.head_dim);
      const double old_context = static_cast<double>(scaling.original_max_position_embeddings);
      const double low_freq_wavelength = old_context / scaling.low_freq_factor;
      const double high_freq_wavelength = old_context / scaling.high_freq_factor;
      const at::Tensor wavelength = 2.0 * M_PI / inverse;
      at::Tensor scaled = at::where(wavelength > low_freq_wavelength, inverse / scaling.factor, inverse);
      const at::Tensor smooth = (old_context / wavelength - scaling.low_freq_factor) /
                                (scaling.high_freq_factor - scaling.low_freq_factor);
      const at::Tensor smoothed = (1.0 - smooth) * scaled / scaling.factor + smooth * scaled;
      const at::Tensor medium = (wavelength >= high_freq_wavelength).logical_and(wavelength <= low_freq_wavelength);
      return at::where(medium, smoothed, scaled);
    }
  }
  return default_inverse_frequencies(config.rope_theta, config.head_dim);
}

at::Tensor apply_rope(const at::Tensor& x, const at::Tensor& cos, const at::Tensor& sin) {
  if (takes_cpu_kernels(x) && takes_cpu_kernels(cos) && takes_cpu_kernels(sin)) return fused_rope(x, cos, sin);
  const std::int64_t half = x.size(-1) / 2;
  const at::Tensor first = x.narrow(-1, 0, half);
  const at::Tensor second = x.narrow(-1, half, half);
  const at::Tensor rotated = at::cat({-second, first}, -1);
  return x * cos + rotated * sin;
}

RotaryEmbedding::RotaryEmbedding(const LlamaConfig& config, c10::Device device)
    : config_(config), inverse_frequencies_(rope_inverse_frequencies(config, 0).to(device)) {}

std::pair<at::Tensor, at::Tensor> RotaryEmbedding::cos_sin(const at::Tensor& positions, std::int64_t sequence_length,
                                                           c10::ScalarType dtype) const {
  at::Tensor inverse = inverse_frequencies_;
  if (config_.rope_scaling.type == RopeScaling::Type::kDynamic && sequence_length > config_.max_position_embeddings) {
    inverse = rope_inverse_frequencies(config_, sequence_length).to(inverse_frequencies_.device());
  }
  // [batch, n, 1] * [d/2] -> [batch, n, d/2]; a single float32 product per angle, as in
  // transformers' (inv_freq @ positions) with an inner dimension of one.
  const at::Tensor angles = positions.to(at::kFloat).unsqueeze(-1) * inverse;
  const at::Tensor doubled = at::cat({angles, angles}, -1).unsqueeze(1);
  return {doubled.cos().to(dtype), doubled.sin().to(dtype)};
}

}  // namespace evomem::model
