// Bootstrap intervals against cases whose resampling distribution is known exactly.

#include "metrics/bootstrap.h"

#include <gtest/gtest.h>

#include <cmath>

#include "core/error.h"

namespace evomem::metrics {
namespace {

BootstrapOptions options(std::uint64_t seed = 3, std::int64_t resamples = 20000) {
  BootstrapOptions out;
  out.seed = seed;
  out.resamples = resamples;
  return out;
}

TEST(Bootstrap, QuantilesInterpolateLikeNumpy) {
  const std::vector<double> sorted = {1.0, 2.0, 3.0, 4.0};
  EXPECT_DOUBLE_EQ(interpolated_quantile(sorted, 0.0), 1.0);
  EXPECT_DOUBLE_EQ(interpolated_quantile(sorted, 0.5), 2.5);
  EXPECT_DOUBLE_EQ(interpolated_quantile(sorted, 1.0), 4.0);
  EXPECT_DOUBLE_EQ(interpolated_quantile(sorted, 0.25), 1.75);
}

// {0, 0, 0, 1}: a resample's mean is k/4 with k ~ Binomial(4, 1/4), so P(mean = 0) = 0.316
// (the 2.5% quantile is 0) and P(mean <= 1/2) = 0.949 < 0.975 <= P(mean <= 3/4) = 0.996 (the
// 97.5% quantile is 3/4). The margins are 20 standard errors of the empirical quantiles wide.
TEST(Bootstrap, HandComputedCase) {
  const Interval interval = bootstrap_mean({0.0, 0.0, 0.0, 1.0}, options());
  EXPECT_DOUBLE_EQ(interval.low, 0.0);
  EXPECT_DOUBLE_EQ(interval.high, 0.75);
}

// A constant group adds a constant: (mean of {0,0,0,1} + 1) / 2 lies in [0.5, 0.875].
TEST(Bootstrap, MeanOfMeansResamplesEachGroup) {
  const Interval interval = bootstrap_mean_of_means({{0.0, 0.0, 0.0, 1.0}, {1.0, 1.0}}, options());
  EXPECT_DOUBLE_EQ(interval.low, 0.5);
  EXPECT_DOUBLE_EQ(interval.high, 0.875);
}

TEST(Bootstrap, ConstantValuesGiveAPointInterval) {
  const Interval interval = bootstrap_mean({0.25, 0.25, 0.25}, options());
  EXPECT_DOUBLE_EQ(interval.low, 0.25);
  EXPECT_DOUBLE_EQ(interval.high, 0.25);
}

TEST(Bootstrap, SeededAndCoveringTheMean) {
  std::vector<double> values;
  for (int i = 0; i < 64; ++i) values.push_back((i * 37) % 11 / 10.0);
  double mean = 0.0;
  for (const double value : values) mean += value / static_cast<double>(values.size());
  const Interval a = bootstrap_mean(values, options(5, 2000));
  const Interval b = bootstrap_mean(values, options(5, 2000));
  const Interval c = bootstrap_mean(values, options(6, 2000));
  EXPECT_EQ(a.low, b.low);
  EXPECT_EQ(a.high, b.high);
  EXPECT_TRUE(a.low != c.low || a.high != c.high);
  EXPECT_LT(a.low, mean);
  EXPECT_GT(a.high, mean);
  // The normal approximation: half-width about 1.96 standard errors.
  double variance = 0.0;
  for (const double value : values) variance += (value - mean) * (value - mean) / static_cast<double>(values.size());
  const double half_width = 1.96 * std::sqrt(variance / static_cast<double>(values.size()));
  EXPECT_NEAR((a.high - a.low) / 2.0, half_width, 0.2 * half_width);
}

TEST(Bootstrap, RejectsEmptyInput) {
  EXPECT_THROW(bootstrap_mean({}, options()), InputError);
  EXPECT_THROW(bootstrap_mean_of_means({}, options()), InputError);
  EXPECT_THROW(bootstrap_mean_of_means({{1.0}, {}}, options()), InputError);
  EXPECT_THROW(bootstrap_mean({1.0}, options(1, 1)), InputError);
}

// Values from the closed form (p + z²/2n ± z·sqrt(p(1-p)/n + z²/4n²)) / (1 + z²/n), z = 1.959964,
// as statsmodels' proportion_confint(method="wilson") gives them.
TEST(Wilson, MatchesTheClosedForm) {
  const auto check = [](std::int64_t successes, std::int64_t trials, double low, double high) {
    const Interval interval = wilson_interval(successes, trials);
    EXPECT_NEAR(interval.low, low, 1e-9) << successes << "/" << trials;
    EXPECT_NEAR(interval.high, high, 1e-9) << successes << "/" << trials;
  };
  check(0, 16, 0.0, 0.1936076805344365);
  check(16, 16, 0.8063923194655637, 1.0);
  check(15, 16, 0.7167126242970107, 0.9888806552353576);
  check(30, 64, 0.35175987425176036, 0.5892791294852899);
  EXPECT_THROW(wilson_interval(1, 0), InputError);
  EXPECT_THROW(wilson_interval(5, 4), InputError);
  EXPECT_THROW(wilson_interval(1, 4, 1.0), InputError);
}

}  // namespace
}  // namespace evomem::metrics
