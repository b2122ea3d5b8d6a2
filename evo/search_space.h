#pragma once
// Named, bounded parameters (e.g. the Titans forgetting and surprise rates) mapped to the
// unit box the strategy searches: coordinate t in [0, 1] of a parameter with bounds [a, b]
// means a + t (b - a) for a linear parameter and a (b / a)^t for a log parameter, so that a
// log parameter spanning decades is searched evenly in its exponent.

#include <Eigen/Core>

#include <map>
#include <string>
#include <vector>

#include "evo/cmaes.h"

namespace evomem::evo {

enum class ParameterScale { kLinear, kLog };

ParameterScale parse_parameter_scale(const std::string& text);
std::string to_string(ParameterScale scale);

struct Parameter {
  std::string name;
  double lower = 0.0;
  double upper = 1.0;
  ParameterScale scale = ParameterScale::kLinear;
  // Starting value (meaningful units); the midpoint of the search coordinate if unset.
  bool has_initial = false;
  double initial = 0.0;
};

class SearchSpace {
 public:
  SearchSpace() = default;
  // Adds a parameter; InputError for a duplicate name, lower >= upper, non-finite bounds,
  // a log parameter with a non-positive lower bound, or an initial value out of bounds.
  void add(Parameter parameter);

  Eigen::Index dimension() const { return static_cast<Eigen::Index>(parameters_.size()); }
  const std::vector<Parameter>& parameters() const { return parameters_; }
  std::vector<std::string> names() const;
  // Index of a parameter; InputError naming the known parameters if absent.
  Eigen::Index index_of(const std::string& name) const;

  // Strategy coordinates (unit box) <-> meaningful values. Coordinates outside [0, 1] are
  // clamped first.
  Eigen::VectorXd to_values(const Eigen::VectorXd& coordinates) const;
  Eigen::VectorXd to_coordinates(const Eigen::VectorXd& values) const;
  std::map<std::string, double> to_named_values(const Eigen::VectorXd& coordinates) const;
  Eigen::VectorXd from_named_values(const std::map<std::string, double>& values) const;

  // The initial point in coordinates.
  Eigen::VectorXd initial_coordinates() const;
  // Fills dimension, initial mean and the [0, 1] box of `options` for this space.
  void configure(CmaOptions& options) const;

 private:
  std::vector<Parameter> parameters_;
};

}  // namespace evomem::evo
