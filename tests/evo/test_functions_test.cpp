#include "evo/test_functions.h"

#include <gtest/gtest.h>

#include <cmath>

#include "core/error.h"

namespace evomem::evo {
namespace {

TEST(TestFunctions, OptimaAreZero) {
  for (const auto& name : test_function_names()) {
    const TestFunction f = make_test_function(name, 7);
    const Eigen::VectorXd optimum = name == "rosenbrock" ? Eigen::VectorXd::Ones(7).eval()
                                                         : Eigen::VectorXd::Zero(7).eval();
    EXPECT_NEAR(f(optimum), 0.0, 1e-12) << name;
    EXPECT_GT(f(optimum + 0.1 * Eigen::VectorXd::Ones(7)), 0.0) << name;
  }
}

TEST(TestFunctions, KnownValues) {
  const Eigen::VectorXd ones = Eigen::VectorXd::Ones(3);
  EXPECT_DOUBLE_EQ(make_test_function("sphere", 3)(ones), 3.0);
  EXPECT_NEAR(make_test_function("ellipsoid", 3)(ones), 1.0 + 1e3 + 1e6, 1e-6);
  EXPECT_NEAR(make_test_function("rastrigin", 3)(ones), 3.0, 1e-12);
  EXPECT_DOUBLE_EQ(make_test_function("rosenbrock", 3)(Eigen::VectorXd::Zero(3)), 2.0);
  EXPECT_DOUBLE_EQ(make_test_function("cigar", 3)(ones), 1.0 + 2e6);
  EXPECT_DOUBLE_EQ(make_test_function("discus", 3)(ones), 1e6 + 2.0);
}

TEST(TestFunctions, RotationIsOrthogonalAndChangesTheFunction) {
  const Eigen::MatrixXd q = random_rotation(6, 5);
  EXPECT_NEAR((q.transpose() * q - Eigen::MatrixXd::Identity(6, 6)).norm(), 0.0, 1e-12);
  const Eigen::VectorXd x = Eigen::VectorXd::LinSpaced(6, -1.0, 1.0);
  const double plain = make_test_function("ellipsoid", 6)(x);
  const double rotated = make_test_function("rotated_ellipsoid", 6)(x);
  EXPECT_GT(std::abs(plain - rotated), 1.0);
  // Same seed, same function.
  EXPECT_EQ(rotated, make_test_function("rotated_ellipsoid", 6)(x));
}

TEST(TestFunctions, RejectsUnknownNamesAndDimensions) {
  EXPECT_THROW(make_test_function("himmelblau", 3), InputError);
  EXPECT_THROW(make_test_function("sphere", 0), InputError);
  EXPECT_THROW(make_test_function("rosenbrock", 1), InputError);
}

}  // namespace
}  // namespace evomem::evo
