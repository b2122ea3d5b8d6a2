#include "evo/random.h"

#include <gtest/gtest.h>

#include <cmath>

#include "core/error.h"

namespace evomem::evo {
namespace {

TEST(Rng, NormalMomentsAreStandard) {
  Rng rng(42);
  const int count = 200000;
  double sum = 0.0;
  double squares = 0.0;
  double fourth = 0.0;
  for (int i = 0; i < count; ++i) {
    const double v = rng.normal();
    sum += v;
    squares += v * v;
    fourth += v * v * v * v;
  }
  EXPECT_NEAR(sum / count, 0.0, 0.01);
  EXPECT_NEAR(squares / count, 1.0, 0.015);
  EXPECT_NEAR(fourth / count, 3.0, 0.08);
}

TEST(Rng, UniformStaysInUnitInterval) {
  Rng rng(3);
  double low = 1.0, high = 0.0, sum = 0.0;
  for (int i = 0; i < 100000; ++i) {
    const double u = rng.uniform();
    low = std::min(low, u);
    high = std::max(high, u);
    sum += u;
  }
  EXPECT_GE(low, 0.0);
  EXPECT_LT(high, 1.0);
  EXPECT_NEAR(sum / 100000, 0.5, 0.005);
}

TEST(Rng, SaveLoadContinuesIdenticallyEvenWithASpareNormal) {
  Rng rng(11);
  rng.normal();  // leaves a spare deviate behind
  const auto saved = rng.save();
  Rng copy(999);
  copy.load(saved);
  for (int i = 0; i < 100; ++i) EXPECT_EQ(rng.normal(), copy.normal());
  EXPECT_EQ(rng.next_u64(), copy.next_u64());
}

TEST(Rng, SeedsGiveDifferentStreams) {
  Rng a(1), b(2);
  EXPECT_NE(a.next_u64(), b.next_u64());
}

TEST(Rng, CorruptStateIsRejected) {
  Rng rng;
  EXPECT_THROW(rng.load({1, 2, 3}), FormatError);
  EXPECT_THROW(rng.load({0, 0, 0, 0, 0, 0}), FormatError);
}

}  // namespace
}  // namespace evomem::evo
