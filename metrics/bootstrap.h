#pragma once
// Percentile bootstrap intervals for mean scores, seeded so that a comparison prints the same
// intervals on every machine: resample indices come from std::mt19937_64 (fully specified by
// the C++ standard) reduced modulo the sample count, not from a library distribution whose
// algorithm varies between standard libraries.

#include <cstdint>
#include <vector>

namespace evomem::metrics {

struct Interval {
  double low = 0.0;
  double high = 0.0;
};

struct BootstrapOptions {
  std::uint64_t seed = 0;
  std::int64_t resamples = 10000;
  double level = 0.95;  // two-sided coverage
};

// The statistic is the mean over groups of each group's mean (a task's score, or the mean
// over tasks of the task scores). Each resample draws, within every group independently, as
// many values as the group holds, with replacement (a stratified bootstrap: every task keeps
// its sample count). The interval's ends are the (1 - level) / 2 and (1 + level) / 2
// quantiles of the resampled statistic (linear interpolation between order statistics, as
// numpy.quantile's default). InputError for no groups, an empty group, fewer than 2 resamples
// or a level outside (0, 1).
Interval bootstrap_mean_of_means(const std::vector<std::vector<double>>& groups, const BootstrapOptions& options);

// One group: the interval of a plain mean.
Interval bootstrap_mean(const std::vector<double>& values, const BootstrapOptions& options);

// The Wilson score interval of a proportion `successes` / `trials` at `level` (two-sided): unlike
// the normal approximation, it stays inside [0, 1] and is not empty at 0 or 1 successes.
// InputError for no trials, successes outside 0..trials or a level outside (0, 1).
Interval wilson_interval(std::int64_t successes, std::int64_t trials, double level = 0.95);

// The quantile q in [0, 1] of `sorted` (ascending, non-empty) with linear interpolation.
double interpolated_quantile(const std::vector<double>& sorted, double q);

}  // namespace evomem::metrics
