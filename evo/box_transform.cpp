#include "evo/box_transform.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>
#include <utility>

#include "core/error.h"

namespace evomem::evo {

BoxTransform::BoxTransform(Eigen::VectorXd lower, Eigen::VectorXd upper, Eigen::Index dimension) {
  if (lower.size() == 0 && upper.size() == 0) return;
  const double inf = std::numeric_limits<double>::infinity();
  if (lower.size() == 0) lower = Eigen::VectorXd::Constant(dimension, -inf);
  if (upper.size() == 0) upper = Eigen::VectorXd::Constant(dimension, inf);
  if (lower.size() != dimension || upper.size() != dimension) {
    throw InputError("bounds have " + std::to_string(lower.size()) + " lower and " + std::to_string(upper.size()) +
                     " upper values for dimension " + std::to_string(dimension) +
                     "; give one value per coordinate (or none)");
  }
  for (Eigen::Index i = 0; i < dimension; ++i) {
    if (std::isnan(lower[i]) || std::isnan(upper[i]) || !(lower[i] < upper[i])) {
      throw InputError("bounds of coordinate " + std::to_string(i) + " are [" + std::to_string(lower[i]) + ", " +
                       std::to_string(upper[i]) + "]; the lower bound must be below the upper bound");
    }
  }
  lower_ = std::move(lower);
  upper_ = std::move(upper);
  margin_lower_.resize(dimension);
  margin_upper_.resize(dimension);
  for (Eigen::Index i = 0; i < dimension; ++i) {
    const double width = upper_[i] - lower_[i];
    const bool finite = std::isfinite(width);
    margin_lower_[i] = finite ? std::min(width / 20.0, (1.0 + std::abs(lower_[i])) / 20.0)
                              : (1.0 + std::abs(lower_[i])) / 20.0;
    margin_upper_[i] = finite ? std::min(width / 20.0, (1.0 + std::abs(upper_[i])) / 20.0)
                              : (1.0 + std::abs(upper_[i])) / 20.0;
  }
  active_ = true;
}

void BoxTransform::apply(Eigen::Ref<Eigen::VectorXd> x) const {
  if (!active_) return;
  for (Eigen::Index i = 0; i < x.size(); ++i) {
    const double l = lower_[i];
    const double u = upper_[i];
    const bool has_lower = std::isfinite(l);
    const bool has_upper = std::isfinite(u);
    if (!has_lower && !has_upper) continue;
    const double al = margin_lower_[i];
    const double au = margin_upper_[i];
    double v = x[i];
    if (has_lower && has_upper) {
      const double start = l - al;
      const double width = (u + au) - start;
      double t = std::fmod(v - start, 2.0 * width);
      if (t < 0) t += 2.0 * width;
      if (t > width) t = 2.0 * width - t;
      v = start + t;
    } else if (has_lower) {
      if (v < l - al) v = 2.0 * (l - al) - v;
    } else {
      if (v > u + au) v = 2.0 * (u + au) - v;
    }
    if (has_lower && v < l + al) {
      v = l + (v - l + al) * (v - l + al) / (4.0 * al);
    } else if (has_upper && v > u - au) {
      v = u - (v - u - au) * (v - u - au) / (4.0 * au);
    }
    x[i] = std::clamp(v, l, u);
  }
}

void BoxTransform::invert(Eigen::Ref<Eigen::VectorXd> x) const {
  if (!active_) return;
  for (Eigen::Index i = 0; i < x.size(); ++i) {
    const double l = lower_[i];
    const double u = upper_[i];
    const double v = std::clamp(x[i], l, u);
    const double al = margin_lower_[i];
    const double au = margin_upper_[i];
    if (std::isfinite(l) && v < l + al) {
      x[i] = l - al + std::sqrt(4.0 * al * (v - l));
    } else if (std::isfinite(u) && v > u - au) {
      x[i] = u + au - std::sqrt(4.0 * au * (u - v));
    } else {
      x[i] = v;
    }
  }
}

}  // namespace evomem::evo
