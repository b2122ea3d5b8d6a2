#include "evo/test_functions.h"

#include <Eigen/QR>

#include <cmath>
#include <memory>
#include <string>

#include "core/error.h"
#include "core/text.h"
#include "evo/random.h"

namespace evomem::evo {
namespace {

constexpr double kConditioning = 1e6;
constexpr double kTwoPi = 6.283185307179586476925286766559;

Eigen::VectorXd ellipsoid_weights(Eigen::Index n) {
  Eigen::VectorXd weights(n);
  for (Eigen::Index i = 0; i < n; ++i) {
    weights[i] = n == 1 ? 1.0 : std::pow(kConditioning, static_cast<double>(i) / static_cast<double>(n - 1));
  }
  return weights;
}

double rastrigin(const Eigen::Ref<const Eigen::VectorXd>& x) {
  double sum = 10.0 * static_cast<double>(x.size());
  for (Eigen::Index i = 0; i < x.size(); ++i) sum += x[i] * x[i] - 10.0 * std::cos(kTwoPi * x[i]);
  return sum;
}

}  // namespace

std::vector<std::string> test_function_names() {
  return {"sphere", "ellipsoid", "rotated_ellipsoid", "rosenbrock", "rastrigin", "rotated_rastrigin",
          "cigar",  "discus"};
}

Eigen::MatrixXd random_rotation(Eigen::Index dimension, std::uint64_t seed) {
  Rng rng(seed);
  Eigen::MatrixXd gaussian(dimension, dimension);
  rng.fill_normal(gaussian.data(), static_cast<std::size_t>(gaussian.size()));
  Eigen::HouseholderQR<Eigen::MatrixXd> qr(gaussian);
  Eigen::MatrixXd q = qr.householderQ() * Eigen::MatrixXd::Identity(dimension, dimension);
  // Fixing the signs by R's diagonal makes the distribution uniform over rotations.
  const Eigen::MatrixXd r = qr.matrixQR().triangularView<Eigen::Upper>();
  for (Eigen::Index j = 0; j < dimension; ++j) {
    if (r(j, j) < 0.0) q.col(j) *= -1.0;
  }
  return q;
}

TestFunction make_test_function(const std::string& name, Eigen::Index dimension, std::uint64_t rotation_seed) {
  if (dimension < 1) {
    throw InputError("test function dimension is " + std::to_string(dimension) + "; use at least 1");
  }
  TestFunction function;
  function.name = name;
  function.dimension = dimension;
  const Eigen::Index n = dimension;
  if (name == "sphere") {
    function.evaluate = [](const Eigen::Ref<const Eigen::VectorXd>& x) { return x.squaredNorm(); };
  } else if (name == "ellipsoid") {
    const Eigen::VectorXd weights = ellipsoid_weights(n);
    function.evaluate = [weights](const Eigen::Ref<const Eigen::VectorXd>& x) { return weights.dot(x.cwiseAbs2()); };
  } else if (name == "rotated_ellipsoid") {
    const Eigen::VectorXd weights = ellipsoid_weights(n);
    auto rotation = std::make_shared<const Eigen::MatrixXd>(random_rotation(n, rotation_seed));
    function.evaluate = [weights, rotation](const Eigen::Ref<const Eigen::VectorXd>& x) {
      const Eigen::VectorXd rotated = (*rotation) * x;
      return weights.dot(rotated.cwiseAbs2());
    };
  } else if (name == "rosenbrock") {
    if (n < 2) throw InputError("rosenbrock needs dimension 2 or more; got " + std::to_string(n));
    function.evaluate = [](const Eigen::Ref<const Eigen::VectorXd>& x) {
      double sum = 0.0;
      for (Eigen::Index i = 0; i + 1 < x.size(); ++i) {
        const double a = x[i + 1] - x[i] * x[i];
        const double b = 1.0 - x[i];
        sum += 100.0 * a * a + b * b;
      }
      return sum;
    };
  } else if (name == "rastrigin") {
    function.evaluate = rastrigin;
  } else if (name == "rotated_rastrigin") {
    auto rotation = std::make_shared<const Eigen::MatrixXd>(random_rotation(n, rotation_seed));
    function.evaluate = [rotation](const Eigen::Ref<const Eigen::VectorXd>& x) {
      const Eigen::VectorXd rotated = (*rotation) * x;
      return rastrigin(rotated);
    };
  } else if (name == "cigar") {
    function.evaluate = [](const Eigen::Ref<const Eigen::VectorXd>& x) {
      return x[0] * x[0] + kConditioning * x.tail(x.size() - 1).squaredNorm();
    };
  } else if (name == "discus") {
    function.evaluate = [](const Eigen::Ref<const Eigen::VectorXd>& x) {
      return kConditioning * x[0] * x[0] + x.tail(x.size() - 1).squaredNorm();
    };
  } else {
    throw InputError("unknown test function '" + name + "'; use one of: " + core::join(test_function_names()));
  }
  return function;
}

}  // namespace evomem::evo
