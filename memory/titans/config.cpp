#include "memory/titans/config.h"

#include <cmath>

#include "core/error.h"

namespace evomem::memory {

void TitansConfig::validate() const {
  auto fail = [](const std::string& key, const std::string& why) { throw ConfigError("titans." + key + " " + why); };
  if (input_dim <= 0) fail("input_dim", "must be positive");
  if (width <= 0) fail("width", "must be positive");
  if (depth < 1 || depth > 4) fail("depth", "must be 1..4, got " + std::to_string(depth));
  if (depth > 1 && expansion <= 0) fail("expansion", "must be positive");
  if (projection == TitansProjectionKind::kIdentity && input_dim != width) {
    fail("projection", "= identity needs titans.input_dim == titans.width (" + std::to_string(input_dim) +
                           " != " + std::to_string(width) + "); use orthogonal or given");
  }
  if (chunk_size < 1) fail("chunk_size", "must be at least 1 (1 = per-token updates)");
  if (!(std::isfinite(grad_clip) && grad_clip >= 0.0)) fail("grad_clip", "must be a finite number >= 0 (0 = off)");
  if (!(std::isfinite(theta_max) && theta_max > 0.0)) fail("theta_max", "must be a finite number > 0");
  if (!(std::isfinite(init_scale) && init_scale >= 0.0)) fail("init_scale", "must be a finite number >= 0");
  if (init == TitansInit::kZero && depth > 1) {
    fail("init", "= zero needs titans.depth = 1 (a zero MLP has zero gradients and never learns); use xavier");
  }
}

const char* titans_projection_name(TitansProjectionKind kind) {
  switch (kind) {
    case TitansProjectionKind::kOrthogonal: return "orthogonal";
    case TitansProjectionKind::kIdentity: return "identity";
    case TitansProjectionKind::kGiven: return "given";
  }
  return "?";
}

const char* titans_gate_mode_name(TitansGateMode mode) {
  return mode == TitansGateMode::kConstant ? "constant" : "data_dependent";
}

TitansProjectionKind parse_titans_projection(const std::string& name, const std::string& key) {
  for (const auto kind :
       {TitansProjectionKind::kOrthogonal, TitansProjectionKind::kIdentity, TitansProjectionKind::kGiven}) {
    if (name == titans_projection_name(kind)) return kind;
  }
  throw ConfigError(key + " must be orthogonal, identity or given, got '" + name + "'");
}

TitansGateMode parse_titans_gate_mode(const std::string& name, const std::string& key) {
  for (const auto mode : {TitansGateMode::kConstant, TitansGateMode::kDataDependent}) {
    if (name == titans_gate_mode_name(mode)) return mode;
  }
  throw ConfigError(key + " must be constant or data_dependent, got '" + name + "'");
}

}  // namespace evomem::memory
