#include "evo/state_file.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "core/error.h"
#include "core/hdf5.h"
#include "evo/strategy_factory.h"
#include "evo/test_functions.h"
#include "tests/support/test_support.h"

namespace evomem::evo {
namespace {

// One folder per test process: ctest runs these tests in parallel, and two of them save a
// "cmaes" state.
std::filesystem::path temporary_file(const std::string& name) {
  static const test_support::TempDirectory folder("evomem_evo_state_test");
  return folder.path() / name;
}

void step(Strategy& strategy, const TestFunction& f) {
  const Eigen::MatrixXd& x = strategy.ask();
  std::vector<double> values;
  for (Eigen::Index k = 0; k < x.cols(); ++k) values.push_back(f(x.col(k)));
  strategy.tell(values);
}

struct Trajectory {
  std::vector<Eigen::MatrixXd> populations;
  std::vector<double> sigmas;
  std::int64_t restarts_at_split = 0;
  std::int64_t restarts_at_end = 0;
};

std::int64_t restarts_of(const Strategy& strategy) {
  const auto* restarting = dynamic_cast<const RestartStrategy*>(&strategy);
  return restarting != nullptr ? restarting->restarts() : 0;
}

// Runs `total` generations, optionally saving to HDF5 after `split` and continuing in a fresh
// object restored from the file.
Trajectory run(StrategyKind kind, const CmaOptions& options, const TestFunction& f, int total, int split,
               const std::filesystem::path& file) {
  Trajectory trajectory;
  auto strategy = make_strategy(kind, options);
  for (int g = 0; g < total; ++g) {
    if (g == split) {
      trajectory.restarts_at_split = restarts_of(*strategy);
      save_state_file(strategy->state(), file);
      strategy = make_strategy(kind, options);
      strategy->restore(load_state_file(file));
    }
    trajectory.populations.push_back(strategy->ask());
    trajectory.sigmas.push_back(strategy->sigma());
    step(*strategy, f);
  }
  trajectory.restarts_at_end = restarts_of(*strategy);
  return trajectory;
}

// Returns the restored trajectory for further checks.
Trajectory expect_identical_continuation(StrategyKind kind, CmaOptions options, const std::string& function, int total,
                                         int split) {
  const TestFunction f = make_test_function(function, options.dimension);
  const auto file = temporary_file(to_string(kind) + ".h5");
  const Trajectory uninterrupted = run(kind, options, f, total, -1, file);
  const Trajectory restored = run(kind, options, f, total, split, file);
  EXPECT_EQ(uninterrupted.populations.size(), restored.populations.size());
  if (uninterrupted.populations.size() != restored.populations.size()) return restored;
  for (std::size_t g = 0; g < uninterrupted.populations.size(); ++g) {
    if (uninterrupted.populations[g] != restored.populations[g]) {
      ADD_FAILURE() << to_string(kind) << " diverges at generation " << g;
      return restored;
    }
    EXPECT_EQ(uninterrupted.sigmas[g], restored.sigmas[g]);
  }
  EXPECT_EQ(uninterrupted.restarts_at_end, restored.restarts_at_end);
  return restored;
}

CmaOptions options_for(Eigen::Index n) {
  CmaOptions options;
  options.dimension = n;
  options.initial_mean_value = 0.5;
  options.sigma0 = 0.3;
  options.seed = 2024;
  return options;
}

TEST(StateFile, FullCmaesContinuesBitIdentically) {
  expect_identical_continuation(StrategyKind::kCmaes, options_for(10), "rotated_ellipsoid", 60, 23);
}

TEST(StateFile, CholeskyCmaesWithMirroringAndBoundsContinuesBitIdentically) {
  CmaOptions options = options_for(210);
  options.mirrored = true;
  options.evaluate_mean = true;
  options.lower = Eigen::VectorXd::Constant(210, -1.0);
  options.upper = Eigen::VectorXd::Constant(210, 1.0);
  expect_identical_continuation(StrategyKind::kCmaes, options, "sphere", 30, 11);
}

TEST(StateFile, SepContinuesBitIdentically) {
  expect_identical_continuation(StrategyKind::kSep, options_for(30), "ellipsoid", 60, 31);
}

TEST(StateFile, IpopContinuesBitIdenticallyAcrossRestarts) {
  // Rastrigin from far away forces restarts before and after the split.
  CmaOptions options = options_for(4);
  options.initial_mean_value = 3.0;
  options.sigma0 = 2.0;
  options.stop.tolfun = 1e-3;
  for (StrategyKind kind : {StrategyKind::kIpop, StrategyKind::kBipop}) {
    const Trajectory restored = expect_identical_continuation(kind, options, "rastrigin", 400, 150);
    EXPECT_GT(restored.restarts_at_split, 0) << to_string(kind);
    EXPECT_GT(restored.restarts_at_end, restored.restarts_at_split) << to_string(kind);
  }
}

TEST(StateFile, StateIsPlainHdf5) {
  CmaOptions options = options_for(4);
  auto strategy = make_strategy(StrategyKind::kCmaes, options);
  step(*strategy, make_test_function("sphere", 4));
  const auto file = temporary_file("plain.h5");
  save_state_file(strategy->state(), file);
  const core::h5::File h5 = core::h5::File::open(file);
  EXPECT_EQ(h5.string_attribute("kind"), "cmaes");
  EXPECT_EQ(h5.group("arrays").dataset("covariance").shape(), (core::h5::Shape{4, 4}));
  EXPECT_EQ(h5.group("integers").dataset("generation").read<std::int64_t>(), std::vector<std::int64_t>{1});
}

TEST(StateFile, CorruptFilesGiveClearErrors) {
  const auto not_hdf5 = temporary_file("garbage.h5");
  std::ofstream(not_hdf5) << "this is not an HDF5 file";
  EXPECT_THROW(load_state_file(not_hdf5), FormatError);
  EXPECT_THROW(load_state_file(temporary_file("does_not_exist.h5")), InputError);

  // A valid HDF5 file with a dataset removed.
  CmaOptions options = options_for(4);
  auto strategy = make_strategy(StrategyKind::kCmaes, options);
  const auto file = temporary_file("incomplete.h5");
  save_state_file(strategy->state(), file);
  {
    core::h5::File h5 = core::h5::File::open(file, core::h5::Mode::kReadWrite);
    core::h5::Group arrays = h5.group("arrays");
    arrays.remove("sigma");
  }
  auto fresh = make_strategy(StrategyKind::kCmaes, options);
  try {
    fresh->restore(load_state_file(file));
    FAIL() << "expected FormatError";
  } catch (const FormatError& error) {
    EXPECT_NE(std::string(error.what()).find("sigma"), std::string::npos) << error.what();
  }

  // A covariance of the wrong size.
  save_state_file(strategy->state(), file);
  {
    core::h5::File h5 = core::h5::File::open(file, core::h5::Mode::kReadWrite);
    core::h5::Group arrays = h5.group("arrays");
    arrays.remove("covariance");
    arrays.write<double>("covariance", std::vector<double>(9, 0.0), {3, 3});
  }
  EXPECT_THROW(fresh->restore(load_state_file(file)), FormatError);

  // A state file of another strategy.
  auto sep = make_strategy(StrategyKind::kSep, options);
  save_state_file(sep->state(), file);
  EXPECT_THROW(fresh->restore(load_state_file(file)), FormatError);
}

}  // namespace
}  // namespace evomem::evo
