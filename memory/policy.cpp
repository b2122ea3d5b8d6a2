#include "memory/policy.h"

#include <cmath>
#include <sstream>
#include <string>

#include "core/error.h"
#include "memory/retention_recorder.h"

namespace evomem::memory {

std::int64_t Budget::tokens(std::int64_t seen) const {
  if (seen <= 0) return 0;
  // The small epsilon keeps exact products (0.5 * 10) from rounding up to the next token.
  double wanted = is_ratio ? std::ceil(value * static_cast<double>(seen) - 1e-9) : value;
  if (wanted < 0) wanted = 0;
  if (wanted > static_cast<double>(seen)) return seen;
  return static_cast<std::int64_t>(wanted);
}

std::string format_number(double value) {
  std::string text;
  for (int digits = 6; digits <= 17; ++digits) {
    std::ostringstream candidate;
    candidate.precision(digits);
    candidate << value;
    text = candidate.str();
    if (std::stod(text) == value) break;
  }
  return text;
}

std::string Budget::to_string() const {
  if (is_ratio) {
    std::string text = format_number(value);
    // Keep the ratio recognisable as a ratio when parsed back ("1" would be a count).
    if (text.find('.') == std::string::npos && text.find('e') == std::string::npos) text += ".0";
    return text;
  }
  return std::to_string(static_cast<std::int64_t>(value));
}

Budget Budget::parse(const std::string& text, const std::string& what) {
  std::size_t used = 0;
  double value = 0.0;
  try {
    value = std::stod(text, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used == 0 || used != text.size() || !std::isfinite(value) || value < 0) {
    throw ConfigError(what + ": '" + text + "' is not a budget (a token count such as 512 or a ratio such as 0.5)");
  }
  Budget budget;
  const bool has_fraction_syntax = text.find_first_of(".eE") != std::string::npos;
  budget.is_ratio = has_fraction_syntax || value < 1.0;
  if (budget.is_ratio && value > 1.0) {
    throw ConfigError(what + ": ratio '" + text + "' must be at most 1 (write a token count without a decimal point)");
  }
  if (!budget.is_ratio && value != std::floor(value)) {
    throw ConfigError(what + ": '" + text + "' must be a whole token count");
  }
  if (!budget.is_ratio && value >= 0x1p63) {
    throw ConfigError(what + ": token count '" + text + "' is too large (at most 2^63 - 1)");
  }
  budget.value = value;
  return budget;
}

Policy::Policy(std::int64_t update_interval) : update_interval_(update_interval) {
  if (update_interval_ <= 0) {
    throw ConfigError("memory policy update interval must be positive, got " + std::to_string(update_interval_));
  }
}

Policy::~Policy() = default;

std::optional<at::Tensor> Policy::on_update(const model::AttentionObservation& observation) {
  auto keep = select(observation);
  if (recorder_) recorder_->record(observation, keep);
  return keep;
}

std::string FullCachePolicy::spec() const { return "full:interval=" + std::to_string(update_interval()); }

std::optional<at::Tensor> FullCachePolicy::select(const model::AttentionObservation& /*observation*/) {
  return std::nullopt;
}

}  // namespace evomem::memory
