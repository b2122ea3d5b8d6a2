#pragma once
// Built-in benchmark functions (BBOB-style, minimum 0) used by `evomem optimize`, the tests
// and the benchmarks to check that the strategies behave like the published CMA-ES.

#include <Eigen/Core>

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace evomem::evo {

struct TestFunction {
  std::string name;
  Eigen::Index dimension = 0;
  std::function<double(const Eigen::Ref<const Eigen::VectorXd>&)> evaluate;
  double operator()(const Eigen::Ref<const Eigen::VectorXd>& x) const { return evaluate(x); }
};

// Names accepted by make_test_function: sphere, ellipsoid (separable, condition 1e6),
// rotated_ellipsoid, rosenbrock, rastrigin, rotated_rastrigin, cigar, discus.
std::vector<std::string> test_function_names();

// Rotated functions use a random orthogonal matrix drawn from `rotation_seed`, so a given
// (name, dimension, rotation_seed) is always the same function. InputError for an unknown
// name or a dimension below 1 (Rosenbrock needs 2).
TestFunction make_test_function(const std::string& name, Eigen::Index dimension, std::uint64_t rotation_seed = 1);

// A uniformly random rotation (Haar measure) of size n.
Eigen::MatrixXd random_rotation(Eigen::Index dimension, std::uint64_t seed);

}  // namespace evomem::evo
