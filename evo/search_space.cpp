#include "evo/search_space.h"

#include <algorithm>
#include <cmath>
#include <string>
#include <utility>

#include "core/error.h"

namespace evomem::evo {

ParameterScale parse_parameter_scale(const std::string& text) {
  if (text == "linear") return ParameterScale::kLinear;
  if (text == "log") return ParameterScale::kLog;
  throw InputError("unknown parameter scale '" + text + "'; use linear or log");
}

std::string to_string(ParameterScale scale) { return scale == ParameterScale::kLinear ? "linear" : "log"; }

void SearchSpace::add(Parameter parameter) {
  const std::string where = "search parameter '" + parameter.name + "'";
  if (parameter.name.empty()) throw InputError("search parameter without a name; give every parameter a name");
  for (const auto& existing : parameters_) {
    if (existing.name == parameter.name) throw InputError(where + " is defined twice; give each parameter one entry");
  }
  if (!std::isfinite(parameter.lower) || !std::isfinite(parameter.upper) || !(parameter.lower < parameter.upper)) {
    throw InputError(where + " has bounds [" + std::to_string(parameter.lower) + ", " +
                     std::to_string(parameter.upper) + "]; give finite bounds with lower < upper");
  }
  if (parameter.scale == ParameterScale::kLog && !(parameter.lower > 0.0)) {
    throw InputError(where + " is on a log scale but its lower bound is " + std::to_string(parameter.lower) +
                     "; log parameters need a positive lower bound");
  }
  if (parameter.has_initial && !(parameter.initial >= parameter.lower && parameter.initial <= parameter.upper)) {
    throw InputError(where + " starts at " + std::to_string(parameter.initial) + ", outside its bounds [" +
                     std::to_string(parameter.lower) + ", " + std::to_string(parameter.upper) + "]");
  }
  parameters_.push_back(std::move(parameter));
}

std::vector<std::string> SearchSpace::names() const {
  std::vector<std::string> out;
  for (const auto& parameter : parameters_) out.push_back(parameter.name);
  return out;
}

Eigen::Index SearchSpace::index_of(const std::string& name) const {
  for (std::size_t k = 0; k < parameters_.size(); ++k) {
    if (parameters_[k].name == name) return static_cast<Eigen::Index>(k);
  }
  std::string known;
  for (const auto& parameter : parameters_) known += (known.empty() ? "" : ", ") + parameter.name;
  throw InputError("unknown search parameter '" + name + "'; known parameters: " + known);
}

Eigen::VectorXd SearchSpace::to_values(const Eigen::VectorXd& coordinates) const {
  if (coordinates.size() != dimension()) {
    throw InputError("search point has " + std::to_string(coordinates.size()) + " coordinates for " +
                     std::to_string(dimension()) + " parameters");
  }
  Eigen::VectorXd values(dimension());
  for (Eigen::Index k = 0; k < dimension(); ++k) {
    const auto& parameter = parameters_[static_cast<std::size_t>(k)];
    const double t = std::clamp(coordinates[k], 0.0, 1.0);
    if (parameter.scale == ParameterScale::kLinear) {
      values[k] = parameter.lower + t * (parameter.upper - parameter.lower);
    } else {
      values[k] = parameter.lower * std::pow(parameter.upper / parameter.lower, t);
    }
    values[k] = std::clamp(values[k], parameter.lower, parameter.upper);
  }
  return values;
}

Eigen::VectorXd SearchSpace::to_coordinates(const Eigen::VectorXd& values) const {
  if (values.size() != dimension()) {
    throw InputError("parameter vector has " + std::to_string(values.size()) + " values for " +
                     std::to_string(dimension()) + " parameters");
  }
  Eigen::VectorXd coordinates(dimension());
  for (Eigen::Index k = 0; k < dimension(); ++k) {
    const auto& parameter = parameters_[static_cast<std::size_t>(k)];
    const double v = std::clamp(values[k], parameter.lower, parameter.upper);
    if (parameter.scale == ParameterScale::kLinear) {
      coordinates[k] = (v - parameter.lower) / (parameter.upper - parameter.lower);
    } else {
      coordinates[k] = std::log(v / parameter.lower) / std::log(parameter.upper / parameter.lower);
    }
  }
  return coordinates;
}

std::map<std::string, double> SearchSpace::to_named_values(const Eigen::VectorXd& coordinates) const {
  const Eigen::VectorXd values = to_values(coordinates);
  std::map<std::string, double> named;
  for (Eigen::Index k = 0; k < dimension(); ++k) named[parameters_[static_cast<std::size_t>(k)].name] = values[k];
  return named;
}

Eigen::VectorXd SearchSpace::from_named_values(const std::map<std::string, double>& values) const {
  Eigen::VectorXd vector(dimension());
  for (Eigen::Index k = 0; k < dimension(); ++k) {
    const auto& name = parameters_[static_cast<std::size_t>(k)].name;
    auto it = values.find(name);
    if (it == values.end())
      throw InputError("no value for search parameter '" + name + "'; give every parameter a value");
    vector[k] = it->second;
  }
  for (const auto& [name, value] : values) index_of(name);
  return to_coordinates(vector);
}

Eigen::VectorXd SearchSpace::initial_coordinates() const {
  Eigen::VectorXd coordinates(dimension());
  for (Eigen::Index k = 0; k < dimension(); ++k) {
    const auto& parameter = parameters_[static_cast<std::size_t>(k)];
    if (!parameter.has_initial) {
      coordinates[k] = 0.5;
    } else {
      Eigen::VectorXd one(1);
      one[0] = parameter.initial;
      SearchSpace single;
      single.add(parameter);
      coordinates[k] = single.to_coordinates(one)[0];
    }
  }
  return coordinates;
}

void SearchSpace::configure(CmaOptions& options) const {
  if (dimension() == 0) throw InputError("search space has no parameters; add at least one");
  options.dimension = dimension();
  options.initial_mean = initial_coordinates();
  options.lower = Eigen::VectorXd::Zero(dimension());
  options.upper = Eigen::VectorXd::Ones(dimension());
}

}  // namespace evomem::evo
