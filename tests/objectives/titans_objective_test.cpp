// The Titans objective's settings: generations that read stream lengths in turn, the search's
// starting point (objective.titans.start_*) in both gate modes, and bad values named by key.

#include "objectives/titans_objective.h"

#include <gtest/gtest.h>

#include <cmath>
#include <string>

#include "core/error.h"

namespace evomem::objectives {
namespace {

const std::string kBackbone = std::string(EVOMEM_SOURCE_DIR) + "/models/evomem-tiny";

TitansObjectiveSettings settings_from(const std::string& extra) {
  return titans_objective_settings(
      "[objective]\nkind = \"titans\"\n[objective.titans]\nbackbone = \"" + kBackbone + "\"\n" + extra, "test.toml");
}

double logit(double p) { return std::log(p / (1.0 - p)); }

TEST(TitansObjectiveSettings, GenerationsReadTheLengthsInTurn) {
  const auto cycling = settings_from("lengths = \"2048,16384,4096\"\n");
  EXPECT_EQ(cycling.generation_length(0), 2048);
  EXPECT_EQ(cycling.generation_length(1), 16384);
  EXPECT_EQ(cycling.generation_length(2), 4096);
  EXPECT_EQ(cycling.generation_length(3), 2048);
  const auto fixed = settings_from("length = 1024\n");
  EXPECT_EQ(fixed.generation_length(0), 1024);
  EXPECT_EQ(fixed.generation_length(7), 1024);
}

TEST(TitansObjectiveSettings, SearchStartsFromTheGivenGates) {
  const std::string start = "start_alpha = 2e-5\nstart_eta = 0.99\nstart_theta = 0.002\n";
  const TitansObjective constant(settings_from(start), ObjectiveRole::kCoordinator);
  const Eigen::VectorXd mean = constant.initial_mean();
  ASSERT_EQ(mean.size(), 3);
  EXPECT_NEAR(mean[0], logit(2e-5), 1e-5);
  EXPECT_NEAR(mean[1], logit(0.99), 1e-5);
  EXPECT_NEAR(mean[2], std::log(0.002), 1e-5);

  // Data-dependent: zero weights, biases at the same values (theta relative to theta_max).
  const TitansObjective dynamic(settings_from(start + "gates = \"data_dependent\"\ntheta_max = 0.1\n"),
                                ObjectiveRole::kCoordinator);
  const Eigen::VectorXd genome = dynamic.initial_mean();
  const Eigen::Index input = (genome.size() - 3) / 3;
  ASSERT_EQ(genome.size(), 3 * (input + 1));
  EXPECT_EQ(genome.head(input).cwiseAbs().maxCoeff(), 0.0);
  EXPECT_NEAR(genome[input], logit(2e-5), 1e-5);
  EXPECT_NEAR(genome[2 * input + 1], logit(0.99), 1e-5);
  EXPECT_NEAR(genome[3 * input + 2], logit(0.02), 1e-5);
}

TEST(TitansObjectiveSettings, BadValuesNameTheirKey) {
  const auto message = [](const std::string& extra) {
    try {
      settings_from(extra);
    } catch (const InputError& error) {
      return std::string(error.what());
    }
    return std::string("no error");
  };
  EXPECT_NE(message("start_alpha = 0.0\n").find("objective.titans.start_"), std::string::npos);
  EXPECT_NE(message("start_eta = 1.5\n").find("objective.titans.start_"), std::string::npos);
  EXPECT_NE(message("gates = \"data_dependent\"\nstart_theta = 2.0\n").find("theta_max"), std::string::npos);
  EXPECT_NE(message("lengths = \"2048,2k\"\n").find("objective.titans.lengths"), std::string::npos);
  EXPECT_NE(message("tasks = \"capacity,sudoku\"\n").find("objective.titans.tasks"), std::string::npos);
}

}  // namespace
}  // namespace evomem::objectives
