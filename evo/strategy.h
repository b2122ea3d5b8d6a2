#pragma once
// The contract between a search strategy and whoever evaluates its candidates. evo never
// evaluates anything itself: the caller asks for a population, scores it (on one machine or
// a cluster) and tells the fitness values back.

#include <Eigen/Core>

#include <cstdint>
#include <limits>
#include <map>
#include <string>
#include <vector>

#include "evo/random.h"

namespace evomem::evo {

// Whether smaller or larger fitness is better.
enum class Direction { kMinimize, kMaximize };

std::string to_string(Direction direction);

// Fitness value meaning "this evaluation failed or never came back"; NaN and +-inf count as
// failed too.
inline constexpr double kMissingFitness = std::numeric_limits<double>::quiet_NaN();

// Why a strategy stopped. Every criterion has a stable name used in logs and JSON output.
enum class StopReason {
  kMaxGenerations,
  kMaxEvaluations,
  kTargetFitness,
  kTolFun,
  kTolX,
  kCondition,
  kStagnation,
  kMaxRestarts,
};

std::string to_string(StopReason reason);

// Termination settings; 0 (or an unset target) disables a criterion.
struct StopCriteria {
  std::int64_t max_generations = 0;
  std::int64_t max_evaluations = 0;
  bool has_target = false;
  double target_fitness = 0.0;  // in the user's direction: stop once best <= (or >=) it
  // Range of the recent best values and of the current generation below this.
  double tolfun = 1e-12;
  // sigma * max(sqrt(C_ii), |p_c,i|) below this, in the strategy's internal coordinates.
  double tolx = 1e-12;
  // Condition number of the covariance above this.
  double max_condition = 1e14;
  // Median of recent best and median fitness no better than earlier ones (Hansen's BIPOP
  // stagnation test over a window of 120 + 30 n / lambda generations or more).
  bool stagnation = true;
};

// Everything a strategy needs to continue bit-identically: named arrays, integers and texts.
// Matrices are stored column by column with `shape` = {columns, rows}, so each row of the
// stored array is one column vector (one candidate, one eigenvector).
struct StateArray {
  std::vector<std::uint64_t> shape;
  std::vector<double> values;
};

struct StrategyState {
  std::string kind;
  std::map<std::string, StateArray> arrays;
  std::map<std::string, std::vector<std::int64_t>> integers;
  std::map<std::string, std::string> texts;

  // Accessors that throw FormatError naming the missing or malformed entry.
  const StateArray& array(const std::string& name) const;
  const std::vector<std::int64_t>& integer_array(const std::string& name) const;
  std::int64_t integer(const std::string& name) const;
  double real(const std::string& name) const;
  const std::string& text(const std::string& name) const;

  void set_real(const std::string& name, double value);
  void set_integer(const std::string& name, std::int64_t value);
  void set_vector(const std::string& name, const Eigen::VectorXd& vector);
  void set_matrix(const std::string& name, const Eigen::MatrixXd& matrix);
  Eigen::VectorXd vector(const std::string& name, Eigen::Index expected_size) const;
  Eigen::MatrixXd matrix(const std::string& name, Eigen::Index rows, Eigen::Index cols) const;

  // Checks written by restore(): FormatError when the state is of another kind, or when an
  // option it was written with (`name`) differs from the restoring strategy's `value`.
  void require_kind(const std::string& expected) const;
  void require_integer(const std::string& name, std::int64_t value) const;

  // The generator under "rng", as its 64-bit words reinterpreted as int64.
  void set_rng(const Rng& rng);
  Rng rng() const;
  // Stop reasons under "stop_reasons"; unknown codes are a FormatError.
  void set_stop_reasons(const std::vector<StopReason>& reasons);
  std::vector<StopReason> stop_reasons() const;

  // Copies every entry of `inner` into this state under "<prefix>/<name>" (restart wrappers
  // nest the state of the strategy they drive).
  void embed(const std::string& prefix, const StrategyState& inner);
  StrategyState extract(const std::string& prefix) const;
};

// Ask/tell search strategy over R^n (after the strategy's own bound transform).
class Strategy {
 public:
  virtual ~Strategy() = default;

  // Candidates of the next generation, one per column (n x population). Calling ask twice
  // without tell returns the same population.
  virtual const Eigen::MatrixXd& ask() = 0;
  // Fitness of every column of the last ask(), in its order. NaN, +-inf and kMissingFitness
  // are failed evaluations; `missing` (optional, same length) marks more failures.
  virtual void tell(const std::vector<double>& fitness, const std::vector<bool>& missing = {}) = 0;
  // Whether any termination criterion fired; stop_reasons() names them.
  virtual bool stop() const = 0;
  virtual std::vector<StopReason> stop_reasons() const = 0;

  virtual StrategyState state() const = 0;
  // Continues from a state produced by state() of a strategy built with the same options.
  virtual void restore(const StrategyState& state) = 0;

  // Queues external solutions (user coordinates); they replace the first candidates of the
  // next ask().
  virtual void inject(const Eigen::VectorXd& solution) = 0;

  virtual Eigen::Index dimension() const = 0;
  // Columns of the next ask() (includes the mean when it is evaluated too).
  virtual Eigen::Index population_size() const = 0;
  virtual std::int64_t generation() const = 0;
  virtual std::int64_t evaluations() const = 0;
  virtual std::int64_t failed_evaluations() const = 0;
  virtual double sigma() const = 0;
  // Distribution mean in user coordinates.
  virtual Eigen::VectorXd mean() const = 0;
  // Best evaluated solution so far (user coordinates) and its fitness.
  virtual const Eigen::VectorXd& best_solution() const = 0;
  virtual double best_fitness() const = 0;
  // What to export: the mean or the best solution, as configured.
  virtual Eigen::VectorXd recommendation() const = 0;
  std::vector<std::string> stop_reason_names() const;
};

}  // namespace evomem::evo
