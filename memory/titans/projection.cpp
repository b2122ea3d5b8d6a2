#include "memory/titans/projection.h"

#include "core/error.h"
#include "core/text.h"
#include "memory/titans/random.h"

namespace evomem::memory {

namespace {

// Streams of the seeded generator; the memory's initial weights use streams from 16 on.
constexpr std::uint64_t kKeyStream = 1;
constexpr std::uint64_t kValueStream = 2;
constexpr std::uint64_t kQueryStream = 3;

at::Tensor orthogonal_tensor(const TitansConfig& config, std::uint64_t stream) {
  std::vector<double> values = titans_orthogonal(config.width, config.input_dim, config.seed, stream);
  return at::from_blob(values.data(), {config.width, config.input_dim}, at::kDouble).to(titans_dtype(config)).clone();
}

void check_given(const at::Tensor& weight, const char* name, const TitansConfig& config) {
  if (!weight.defined()) throw InputError(std::string("titans projection = given: ") + name + " is missing");
  const std::vector<std::int64_t> expected{config.width, config.input_dim};
  if (weight.sizes().vec() != expected) {
    throw InputError(std::string("titans projection = given: ") + name + " has shape " +
                     core::shape_text(weight.sizes().vec()) +
                     ", expected [titans.width, titans.input_dim] = " + core::shape_text(expected));
  }
  if (!at::isfinite(weight).all().item<bool>())
    throw InputError(std::string("titans projection = given: ") + name + " has non-finite values");
}

}  // namespace

at::ScalarType titans_dtype(const TitansConfig& config) { return config.float64 ? at::kDouble : at::kFloat; }

TitansProjection::TitansProjection(const TitansConfig& config) : config_(config) {
  config_.validate();
  if (config_.projection == TitansProjectionKind::kGiven) {
    throw ConfigError("titans.projection = given needs the W_K, W_V, W_Q tensors (TitansProjection::given)");
  }
  if (config_.projection == TitansProjectionKind::kOrthogonal) {
    w_k_ = orthogonal_tensor(config_, kKeyStream);
    w_v_ = orthogonal_tensor(config_, kValueStream);
    w_q_ = orthogonal_tensor(config_, kQueryStream);
  }
}

TitansProjection::TitansProjection(const TitansConfig& config, at::Tensor w_k, at::Tensor w_v, at::Tensor w_q)
    : config_(config), w_k_(std::move(w_k)), w_v_(std::move(w_v)), w_q_(std::move(w_q)) {}

TitansProjection TitansProjection::given(const TitansConfig& config, const at::Tensor& w_k, const at::Tensor& w_v,
                                         const at::Tensor& w_q) {
  config.validate();
  if (config.projection != TitansProjectionKind::kGiven) {
    throw ConfigError(std::string("titans.projection is ") + titans_projection_name(config.projection) +
                      ", but projection tensors were given; set titans.projection = given");
  }
  check_given(w_k, "W_K", config);
  check_given(w_v, "W_V", config);
  check_given(w_q, "W_Q", config);
  const auto dtype = titans_dtype(config);
  return TitansProjection(config, w_k.to(dtype).contiguous().clone(), w_v.to(dtype).contiguous().clone(),
                          w_q.to(dtype).contiguous().clone());
}

at::Tensor TitansProjection::project(const at::Tensor& x, const at::Tensor& weight, bool normalize) const {
  if (x.dim() < 1 || x.size(-1) != config_.input_dim) {
    throw InputError("titans: input features have shape " + core::shape_text(x.sizes().vec()) +
                     ", the last dimension must be titans.input_dim = " + std::to_string(config_.input_dim));
  }
  at::Tensor out = x.to(titans_dtype(config_));
  if (weight.defined()) out = at::matmul(out, weight.to(x.device()).t());
  if (config_.silu) out = at::silu(out);
  // Same epsilon as torch.nn.functional.normalize: a zero vector stays zero.
  if (normalize && config_.l2_normalize) out = out / out.norm(2, -1, true).clamp_min(1e-12);
  return out;
}

at::Tensor TitansProjection::keys(const at::Tensor& x) const { return project(x, w_k_, true); }
at::Tensor TitansProjection::values(const at::Tensor& x) const { return project(x, w_v_, false); }
at::Tensor TitansProjection::queries(const at::Tensor& x) const { return project(x, w_q_, true); }

}  // namespace evomem::memory
