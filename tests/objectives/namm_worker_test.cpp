// The NAMM objective's worker half on the built-in backbone: population members evaluated as
// the rows of one batch (genomes_per_item) give the fitness each gets alone, and a genome that
// cannot run inside a group fails alone.

#include <gtest/gtest.h>

#include <cmath>

#include "objectives/namm_objective.h"

namespace evomem::objectives {
namespace {

NammObjectiveSettings worker_settings(std::int64_t genomes_per_item) {
  NammObjectiveSettings s;
  s.backbone = std::string(EVOMEM_SOURCE_DIR) + "/models/evomem-tiny";
  s.policy = "namm:interval=128";
  s.chunk_size = 128;
  s.samples_per_task = 2;
  s.batch_size = 2;
  s.genomes_per_item = genomes_per_item;
  s.calibration_samples = 4;
  s.tasks = {{"synth_kv_retrieval", 1.0, "", 700, 4, 0}, {"synth_passkey", 1.0, "", 700, 4, 0}};
  return s;
}

search::GenerationOutcome evaluate_generation(NammObjective& objective, const Eigen::MatrixXd& population) {
  auto items = objective.plan(0, population);
  std::vector<search::ItemResult> results;
  for (std::size_t i = 0; i < items.size(); ++i) {
    items[i].id = static_cast<std::int64_t>(i);
    search::ItemResult result;
    result.id = items[i].id;
    try {
      result.values = objective.evaluate(items[i]);
      result.ok = true;
    } catch (const std::exception& error) {
      result.error = error.what();
    }
    results.push_back(result);
  }
  return objective.aggregate(0, items, results);
}

TEST(NammWorker, GroupedMembersScoreAsAloneAndABadGenomeFailsAlone) {
  NammObjective single(worker_settings(1), ObjectiveRole::kWorker);
  NammObjective grouped(worker_settings(4), ObjectiveRole::kWorker);
  const Eigen::Index n = single.dimension();
  Eigen::MatrixXd population(n, 5);
  std::srand(3);
  population.col(0).setZero();
  population.col(1) = Eigen::VectorXd::Random(n) * 0.05;
  population.col(2) = Eigen::VectorXd::Random(n) * 0.4;
  population.col(3) = Eigen::VectorXd::Random(n) * 0.4;
  population(17, 3) = std::nan("");  // cannot run
  population.col(4) = Eigen::VectorXd::Random(n) * 1.0;

  const auto alone = evaluate_generation(single, population);
  const auto together = evaluate_generation(grouped, population);
  ASSERT_EQ(together.candidates.size(), 5u);
  for (const int c : {0, 1, 2, 4}) {
    EXPECT_TRUE(std::isfinite(together.candidates[c].fitness)) << "candidate " << c;
    EXPECT_EQ(together.candidates[c].fitness, alone.candidates[c].fitness) << "candidate " << c;
    EXPECT_EQ(together.candidates[c].retained_fraction, alone.candidates[c].retained_fraction) << "candidate " << c;
    EXPECT_EQ(together.candidates[c].task_scores, alone.candidates[c].task_scores) << "candidate " << c;
  }
  EXPECT_TRUE(std::isnan(together.candidates[3].fitness));
  EXPECT_TRUE(std::isnan(alone.candidates[3].fitness));
  // The genomes differ in what they keep (the zero genome keeps everything).
  EXPECT_EQ(together.candidates[0].retained_fraction, 1.0);
  EXPECT_LT(together.candidates[2].retained_fraction, 1.0);
}

}  // namespace
}  // namespace evomem::objectives
