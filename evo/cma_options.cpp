#include "evo/cma_options.h"

#include <cmath>

#include "core/error.h"
#include "evo/box_transform.h"

namespace evomem::evo {

Decomposition parse_decomposition(const std::string& text) {
  if (text == "auto") return Decomposition::kAuto;
  if (text == "eigen") return Decomposition::kEigen;
  if (text == "cholesky") return Decomposition::kCholesky;
  throw InputError("unknown covariance decomposition '" + text + "'; use auto, eigen or cholesky");
}

std::string to_string(Decomposition decomposition) {
  switch (decomposition) {
    case Decomposition::kAuto: return "auto";
    case Decomposition::kEigen: return "eigen";
    case Decomposition::kCholesky: return "cholesky";
  }
  return "auto";
}

Recommendation parse_recommendation(const std::string& text) {
  if (text == "best") return Recommendation::kBest;
  if (text == "mean") return Recommendation::kMean;
  throw InputError("unknown recommendation '" + text + "'; use best or mean");
}

void validate(const CmaOptions& options) {
  if (options.dimension <= 0) {
    throw InputError("strategy dimension is " + std::to_string(options.dimension) +
                     "; the search space needs at least one parameter");
  }
  const std::string n = std::to_string(options.dimension);
  if (!(options.sigma0 > 0.0) || !std::isfinite(options.sigma0)) {
    throw InputError("initial sigma is " + std::to_string(options.sigma0) + "; it must be a positive finite number");
  }
  if (options.initial_mean.size() != 0 && options.initial_mean.size() != options.dimension) {
    throw InputError("initial mean has " + std::to_string(options.initial_mean.size()) + " values for dimension " + n +
                     "; give one value per coordinate or a constant");
  }
  if (options.initial_mean.size() != 0 && !options.initial_mean.allFinite()) {
    throw InputError("initial mean contains NaN or inf; give finite values");
  }
  if (!std::isfinite(options.initial_mean_value)) {
    throw InputError("initial mean constant is not finite; give a finite value");
  }
  if (options.scaling.size() != 0) {
    if (options.scaling.size() != options.dimension) {
      throw InputError("scaling has " + std::to_string(options.scaling.size()) + " values for dimension " + n +
                       "; give one positive value per coordinate");
    }
    for (Eigen::Index i = 0; i < options.scaling.size(); ++i) {
      if (!(options.scaling[i] > 0.0) || !std::isfinite(options.scaling[i])) {
        throw InputError("scaling of coordinate " + std::to_string(i) + " is " + std::to_string(options.scaling[i]) +
                         "; scales must be positive and finite");
      }
    }
  }
  if (options.population_size < 0 || options.population_size == 1) {
    throw InputError("population size is " + std::to_string(options.population_size) +
                     "; use at least 2 (or 0 for the default 4 + 3 ln n)");
  }
  if (options.parent_count < 0) {
    throw InputError("parent count is " + std::to_string(options.parent_count) + "; use a positive number or 0");
  }
  const Eigen::Index lambda = options.population_size > 0 ? options.population_size
                                                          : 4 + static_cast<Eigen::Index>(std::floor(
                                                                    3.0 * std::log(double(options.dimension))));
  if (options.parent_count > lambda) {
    throw InputError("parent count " + std::to_string(options.parent_count) + " exceeds the population size " +
                     std::to_string(lambda) + "; use at most lambda parents");
  }
  if (!(options.max_failed_fraction >= 0.0 && options.max_failed_fraction <= 1.0)) {
    throw InputError("max failed fraction is " + std::to_string(options.max_failed_fraction) +
                     "; use a fraction in [0, 1]");
  }
  if (!(options.mean_learning_rate > 0.0 && options.mean_learning_rate <= 1.0)) {
    throw InputError("mean learning rate is " + std::to_string(options.mean_learning_rate) + "; use a value in (0, 1]");
  }
  if (options.stop.max_generations < 0 || options.stop.max_evaluations < 0) {
    throw InputError("max generations and max evaluations must not be negative (0 means unlimited)");
  }
  // Checks the bounds (throws on lower >= upper or wrong sizes).
  BoxTransform check(options.lower, options.upper, options.dimension);
  (void)check;
}

}  // namespace evomem::evo
