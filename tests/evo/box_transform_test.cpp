#include "evo/box_transform.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "core/error.h"

namespace evomem::evo {
namespace {

TEST(BoxTransform, MapsEverythingIntoTheBox) {
  BoxTransform box(Eigen::Vector2d(-1.0, 0.0), Eigen::Vector2d(2.0, 10.0), 2);
  for (double v = -50.0; v <= 50.0; v += 0.37) {
    Eigen::VectorXd x = Eigen::Vector2d(v, -v);
    box.apply(x);
    EXPECT_GE(x[0], -1.0);
    EXPECT_LE(x[0], 2.0);
    EXPECT_GE(x[1], 0.0);
    EXPECT_LE(x[1], 10.0);
  }
}

TEST(BoxTransform, IdentityInsideAndContinuousAtTheSeams) {
  BoxTransform box(Eigen::VectorXd::Constant(1, 0.0), Eigen::VectorXd::Constant(1, 1.0), 1);
  Eigen::VectorXd x = Eigen::VectorXd::Constant(1, 0.5);
  box.apply(x);
  EXPECT_DOUBLE_EQ(x[0], 0.5);
  // Continuity: small input steps give small output steps everywhere.
  double previous = std::numeric_limits<double>::quiet_NaN();
  for (double v = -3.0; v <= 4.0; v += 1e-4) {
    Eigen::VectorXd y = Eigen::VectorXd::Constant(1, v);
    box.apply(y);
    if (!std::isnan(previous)) {
      EXPECT_LE(std::abs(y[0] - previous), 1.01e-4) << v;
    }
    previous = y[0];
  }
}

TEST(BoxTransform, InvertIsARightInverse) {
  BoxTransform box(Eigen::Vector3d(-1.0, 0.0, -std::numeric_limits<double>::infinity()), Eigen::Vector3d(1.0, 5.0, 3.0),
                   3);
  for (double t : {0.0, 0.001, 0.02, 0.5, 0.97, 1.0}) {
    Eigen::VectorXd value = Eigen::Vector3d(-1.0 + 2.0 * t, 5.0 * t, 3.0 - 10.0 * t);
    Eigen::VectorXd internal = value;
    box.invert(internal);
    box.apply(internal);
    EXPECT_NEAR((internal - value).norm(), 0.0, 1e-12) << t;
  }
}

TEST(BoxTransform, RejectsInvertedBounds) {
  EXPECT_THROW(BoxTransform(Eigen::Vector2d(0.0, 3.0), Eigen::Vector2d(1.0, 2.0), 2), InputError);
  EXPECT_THROW(BoxTransform(Eigen::Vector2d(0.0, 0.0), Eigen::Vector3d(1.0, 1.0, 1.0), 2), InputError);
}

TEST(BoxTransform, EmptyBoundsMeanUnbounded) {
  BoxTransform box(Eigen::VectorXd(), Eigen::VectorXd(), 3);
  EXPECT_FALSE(box.active());
  Eigen::VectorXd x = Eigen::Vector3d(-1e9, 0.0, 1e9);
  const Eigen::VectorXd before = x;
  box.apply(x);
  EXPECT_EQ(x, before);
}

}  // namespace
}  // namespace evomem::evo
