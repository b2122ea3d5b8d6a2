#include "metrics/bootstrap.h"

#include <algorithm>
#include <cmath>
#include <random>
#include <string>

#include "core/error.h"

namespace evomem::metrics {

double interpolated_quantile(const std::vector<double>& sorted, double q) {
  const double position = q * static_cast<double>(sorted.size() - 1);
  const auto below = static_cast<std::size_t>(std::floor(position));
  const std::size_t above = std::min(below + 1, sorted.size() - 1);
  const double weight = position - static_cast<double>(below);
  return sorted[below] + weight * (sorted[above] - sorted[below]);
}

Interval bootstrap_mean_of_means(const std::vector<std::vector<double>>& groups, const BootstrapOptions& options) {
  if (groups.empty()) throw InputError("bootstrap: no groups of values");
  for (const auto& group : groups) {
    if (group.empty()) throw InputError("bootstrap: a group has no values");
  }
  if (options.resamples < 2) throw InputError("bootstrap: resamples must be at least 2");
  if (!(options.level > 0.0 && options.level < 1.0)) throw InputError("bootstrap: level must lie in (0, 1)");
  std::mt19937_64 generator(options.seed);
  std::vector<double> statistics(static_cast<std::size_t>(options.resamples));
  for (double& statistic : statistics) {
    double sum_of_means = 0.0;
    for (const auto& group : groups) {
      // n is far below 2^64, so the modulo bias is below 1e-15.
      const auto n = static_cast<std::uint64_t>(group.size());
      double sum = 0.0;
      for (std::uint64_t i = 0; i < n; ++i) sum += group[generator() % n];
      sum_of_means += sum / static_cast<double>(n);
    }
    statistic = sum_of_means / static_cast<double>(groups.size());
  }
  std::sort(statistics.begin(), statistics.end());
  const double tail = (1.0 - options.level) / 2.0;
  return {interpolated_quantile(statistics, tail), interpolated_quantile(statistics, 1.0 - tail)};
}

Interval bootstrap_mean(const std::vector<double>& values, const BootstrapOptions& options) {
  return bootstrap_mean_of_means({values}, options);
}

Interval wilson_interval(std::int64_t successes, std::int64_t trials, double level) {
  if (trials < 1) throw InputError("wilson interval: no trials");
  if (successes < 0 || successes > trials) throw InputError("wilson interval: successes must lie in 0..trials");
  if (!(level > 0.0 && level < 1.0)) throw InputError("wilson interval: level must lie in (0, 1)");
  // z with P(|N(0, 1)| > z) = 1 - level, by bisection on erfc (monotone; 100 halvings of [0, 40]
  // reach double precision).
  double low = 0.0, high = 40.0;
  for (int i = 0; i < 100; ++i) {
    const double mid = 0.5 * (low + high);
    (std::erfc(mid / std::sqrt(2.0)) > 1.0 - level ? low : high) = mid;
  }
  const double z = 0.5 * (low + high);
  const double n = static_cast<double>(trials);
  const double p = static_cast<double>(successes) / n;
  const double centre = (p + z * z / (2.0 * n)) / (1.0 + z * z / n);
  const double half = z / (1.0 + z * z / n) * std::sqrt(p * (1.0 - p) / n + z * z / (4.0 * n * n));
  return {std::max(0.0, centre - half), std::min(1.0, centre + half)};
}

}  // namespace evomem::metrics
