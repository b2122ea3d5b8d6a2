#include "evo/strategy.h"

#include <cstring>

#include "core/error.h"

namespace evomem::evo {

std::string to_string(Direction direction) { return direction == Direction::kMinimize ? "minimize" : "maximize"; }

std::string to_string(StopReason reason) {
  switch (reason) {
    case StopReason::kMaxGenerations: return "max_generations";
    case StopReason::kMaxEvaluations: return "max_evaluations";
    case StopReason::kTargetFitness: return "target_fitness";
    case StopReason::kTolFun: return "tolfun";
    case StopReason::kTolX: return "tolx";
    case StopReason::kCondition: return "condition";
    case StopReason::kStagnation: return "stagnation";
    case StopReason::kMaxRestarts: return "max_restarts";
  }
  return "unknown";
}

std::vector<std::string> Strategy::stop_reason_names() const {
  std::vector<std::string> names;
  for (StopReason reason : stop_reasons()) names.push_back(to_string(reason));
  return names;
}

namespace {

[[noreturn]] void missing_entry(const std::string& kind, const std::string& what, const std::string& name) {
  throw FormatError(kind + " state has no " + what + " '" + name +
                    "'; the state file is incomplete or from another strategy kind");
}

}  // namespace

const StateArray& StrategyState::array(const std::string& name) const {
  auto it = arrays.find(name);
  if (it == arrays.end()) missing_entry(kind, "array", name);
  return it->second;
}

const std::vector<std::int64_t>& StrategyState::integer_array(const std::string& name) const {
  auto it = integers.find(name);
  if (it == integers.end()) missing_entry(kind, "integer entry", name);
  return it->second;
}

std::int64_t StrategyState::integer(const std::string& name) const {
  const auto& values = integer_array(name);
  if (values.size() != 1) {
    throw FormatError(kind + " state entry '" + name + "' holds " + std::to_string(values.size()) +
                      " integers, expected 1; the state file is corrupt");
  }
  return values[0];
}

double StrategyState::real(const std::string& name) const {
  const auto& entry = array(name);
  if (entry.values.size() != 1) {
    throw FormatError(kind + " state entry '" + name + "' holds " + std::to_string(entry.values.size()) +
                      " values, expected 1; the state file is corrupt");
  }
  return entry.values[0];
}

const std::string& StrategyState::text(const std::string& name) const {
  auto it = texts.find(name);
  if (it == texts.end()) missing_entry(kind, "text", name);
  return it->second;
}

void StrategyState::set_real(const std::string& name, double value) { arrays[name] = StateArray{{1}, {value}}; }

void StrategyState::set_integer(const std::string& name, std::int64_t value) { integers[name] = {value}; }

void StrategyState::set_vector(const std::string& name, const Eigen::VectorXd& vector) {
  arrays[name] = StateArray{{static_cast<std::uint64_t>(vector.size())},
                            std::vector<double>(vector.data(), vector.data() + vector.size())};
}

void StrategyState::set_matrix(const std::string& name, const Eigen::MatrixXd& matrix) {
  arrays[name] = StateArray{{static_cast<std::uint64_t>(matrix.cols()), static_cast<std::uint64_t>(matrix.rows())},
                            std::vector<double>(matrix.data(), matrix.data() + matrix.size())};
}

Eigen::VectorXd StrategyState::vector(const std::string& name, Eigen::Index expected_size) const {
  const auto& entry = array(name);
  if (entry.values.size() != static_cast<std::size_t>(expected_size)) {
    throw FormatError(kind + " state entry '" + name + "' holds " + std::to_string(entry.values.size()) +
                      " values, expected " + std::to_string(expected_size) +
                      "; the state file is corrupt or was written for another dimension");
  }
  return Eigen::Map<const Eigen::VectorXd>(entry.values.data(), expected_size);
}

Eigen::MatrixXd StrategyState::matrix(const std::string& name, Eigen::Index rows, Eigen::Index cols) const {
  const auto& entry = array(name);
  if (entry.values.size() != static_cast<std::size_t>(rows * cols)) {
    throw FormatError(kind + " state entry '" + name + "' holds " + std::to_string(entry.values.size()) +
                      " values, expected " + std::to_string(rows) + " x " + std::to_string(cols) +
                      "; the state file is corrupt or was written for another dimension");
  }
  return Eigen::Map<const Eigen::MatrixXd>(entry.values.data(), rows, cols);
}

void StrategyState::require_kind(const std::string& expected) const {
  if (kind != expected) {
    throw FormatError("strategy state is of kind '" + kind + "' but the strategy is '" + expected +
                      "'; restore with the options the state was written with");
  }
}

void StrategyState::require_integer(const std::string& name, std::int64_t value) const {
  const std::int64_t stored = integer(name);
  if (stored != value) {
    throw FormatError(kind + " state has " + name + " = " + std::to_string(stored) + " but the strategy has " +
                      std::to_string(value) + "; restore with the options the state was written with");
  }
}

void StrategyState::set_rng(const Rng& rng) {
  const std::vector<std::uint64_t> words = rng.save();
  std::vector<std::int64_t> stored(words.size());
  std::memcpy(stored.data(), words.data(), words.size() * sizeof(std::uint64_t));
  integers["rng"] = std::move(stored);
}

Rng StrategyState::rng() const {
  const std::vector<std::int64_t>& stored = integer_array("rng");
  std::vector<std::uint64_t> words(stored.size());
  std::memcpy(words.data(), stored.data(), stored.size() * sizeof(std::int64_t));
  Rng generator;
  generator.load(words);
  return generator;
}

void StrategyState::set_stop_reasons(const std::vector<StopReason>& reasons) {
  std::vector<std::int64_t> codes;
  for (StopReason reason : reasons) codes.push_back(static_cast<std::int64_t>(reason));
  integers["stop_reasons"] = std::move(codes);
}

std::vector<StopReason> StrategyState::stop_reasons() const {
  std::vector<StopReason> reasons;
  for (std::int64_t code : integer_array("stop_reasons")) {
    if (code < 0 || code > static_cast<std::int64_t>(StopReason::kMaxRestarts)) {
      throw FormatError(kind + " state has an unknown stop reason code " + std::to_string(code) +
                        "; the state file is corrupt");
    }
    reasons.push_back(static_cast<StopReason>(code));
  }
  return reasons;
}

void StrategyState::embed(const std::string& prefix, const StrategyState& inner) {
  texts[prefix + "/kind"] = inner.kind;
  for (const auto& [name, value] : inner.arrays) arrays[prefix + "/" + name] = value;
  for (const auto& [name, value] : inner.integers) integers[prefix + "/" + name] = value;
  for (const auto& [name, value] : inner.texts) texts[prefix + "/" + name] = value;
}

StrategyState StrategyState::extract(const std::string& prefix) const {
  StrategyState inner;
  inner.kind = text(prefix + "/kind");
  const std::string start = prefix + "/";
  auto strip = [&](const std::string& name) -> std::string {
    return name.compare(0, start.size(), start) == 0 ? name.substr(start.size()) : std::string();
  };
  for (const auto& [name, value] : arrays) {
    if (auto inner_name = strip(name); !inner_name.empty()) inner.arrays[inner_name] = value;
  }
  for (const auto& [name, value] : integers) {
    if (auto inner_name = strip(name); !inner_name.empty()) inner.integers[inner_name] = value;
  }
  for (const auto& [name, value] : texts) {
    if (auto inner_name = strip(name); !inner_name.empty() && inner_name != "kind") inner.texts[inner_name] = value;
  }
  return inner;
}

}  // namespace evomem::evo
