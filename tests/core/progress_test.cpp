#include "core/progress.h"

#include <gtest/gtest.h>

#include "core/error.h"
#include "core/logging.h"

namespace evomem::core {
namespace {

TEST(ProgressTest, RateAndEtaFollowTheClock) {
  double fake_now = 100.0;
  Progress::Options options;
  options.force_lines = true;
  options.unit = "gen";
  options.clock = [&] { return fake_now; };
  log::configure(log::Level::kOff);
  Progress progress("evolve", 40, options);
  fake_now += 10.0;
  progress.advance(10);
  EXPECT_DOUBLE_EQ(progress.rate(), 1.0);
  EXPECT_DOUBLE_EQ(progress.eta_seconds(), 30.0);
  EXPECT_EQ(progress.status_text(), "evolve 10/40 (25%) 1 gen/s ETA 0:00:30");
  progress.finish();
  log::configure(log::Level::kInfo);
}

TEST(ProgressTest, UnknownTotalHasNoEta) {
  double fake_now = 0.0;
  Progress::Options options;
  options.force_lines = true;
  options.clock = [&] { return fake_now; };
  log::configure(log::Level::kOff);
  Progress progress("tokens", 0, options);
  fake_now = 2.0;
  progress.advance(5);
  EXPECT_LT(progress.eta_seconds(), 0);
  EXPECT_EQ(progress.status_text(), "tokens 5 2.5 it/s");
  log::configure(log::Level::kInfo);
}

TEST(ProgressTest, DurationFormat) {
  EXPECT_EQ(Progress::format_duration(9.4), "0:00:09");
  EXPECT_EQ(Progress::format_duration(3723), "1:02:03");
  EXPECT_EQ(Progress::format_duration(-1), "?");
}

TEST(LoggingTest, LevelsParseAndQuietKeepsWarnings) {
  EXPECT_EQ(log::parse_level("debug"), log::Level::kDebug);
  EXPECT_THROW(log::parse_level("loud"), InputError);
  log::configure(log::Level::kDebug, true);
  EXPECT_TRUE(log::quiet());
  EXPECT_FALSE(log::enabled(log::Level::kInfo));
  EXPECT_TRUE(log::enabled(log::Level::kWarn));
  log::configure(log::Level::kInfo, false);
  EXPECT_TRUE(log::enabled(log::Level::kInfo));
}

}  // namespace
}  // namespace evomem::core
