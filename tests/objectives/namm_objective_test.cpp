// The NAMM objective's coordinator half with made-up worker results: which items a generation
// needs (references once per sample), how scores become fitness (task weights, normalisation
// by the full-cache score, retention penalty, incremental stages), and failures.

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "core/error.h"
#include "objectives/namm_objective.h"

namespace evomem::objectives {
namespace {

NammObjectiveSettings settings() {
  NammObjectiveSettings s;
  s.backbone = std::string(EVOMEM_SOURCE_DIR) + "/models/evomem-tiny";
  s.samples_per_task = 2;
  s.batch_size = 2;
  s.genomes_per_item = 1;
  s.heldout_samples = 1;
  s.heldout_interval = 2;
  s.retention_penalty = 0.5;
  s.tasks = {{"synth_niah_single", 3.0, "", 512, 4, 1}, {"synth_passkey", 1.0, "", 512, 4, 0}};
  return s;
}

// Each sample of an item scores `score` (plus 0.1 per candidate index) and keeps `retained` of
// the cache; member items answer for each of their genomes in turn.
std::vector<search::ItemResult> answer(const std::vector<search::WorkItem>& items, double member_score,
                                       double reference_score, double retained) {
  std::vector<search::ItemResult> results;
  for (const auto& item : items) {
    search::ItemResult result;
    result.id = item.id;
    result.ok = true;
    const bool reference = item.kind == NammObjective::kReference || item.kind == NammObjective::kCheckReference;
    const std::int64_t genomes = reference
                                     ? 1
                                     : std::max<std::int64_t>(1, static_cast<std::int64_t>(item.genome.size()) / 4172);
    for (std::int64_t genome = 0; genome < genomes; ++genome) {
      const double candidate = static_cast<double>(item.candidate + genome);
      for (int sample = 0; sample < 2; ++sample) {
        result.values.push_back(reference ? reference_score : member_score + 0.1 * candidate);
        result.values.push_back(reference ? 1.0 : retained);
      }
    }
    results.push_back(result);
  }
  return results;
}

TEST(NammObjective, FitnessIsTheWeightedNormalisedScoreMinusTheRetentionPenalty) {
  NammObjective objective(settings(), ObjectiveRole::kCoordinator);
  EXPECT_EQ(objective.dimension(), 4172);
  EXPECT_EQ(objective.task_names(), (std::vector<std::string>{"synth_niah_single", "synth_passkey"}));
  const Eigen::MatrixXd population = Eigen::MatrixXd::Zero(objective.dimension(), 3);

  // Generation 0: only passkey is active (niah joins at 1): one reference item + 3 members.
  auto items = objective.plan(0, population);
  ASSERT_EQ(items.size(), 4u);
  EXPECT_EQ(items[0].kind, NammObjective::kReference);
  auto outcome = objective.aggregate(0, items, answer(items, 0.4, 0.8, 0.25));
  ASSERT_EQ(outcome.candidates.size(), 3u);
  for (int c = 0; c < 3; ++c) {
    const double score = 0.4 + 0.1 * c;
    EXPECT_NEAR(outcome.candidates[c].fitness, score / 0.8 - 0.5 * 0.25, 1e-12);
    EXPECT_TRUE(std::isnan(outcome.candidates[c].task_scores[0]));
    EXPECT_NEAR(outcome.candidates[c].task_scores[1], score, 1e-12);
  }

  // Generation 1: both tasks, niah weighted 3; references for the samples not seen before.
  items = objective.plan(1, population);
  std::size_t references = 0;
  for (const auto& item : items) references += item.kind == NammObjective::kReference ? 1 : 0;
  EXPECT_GE(references, 1u);
  EXPECT_LE(references, 2u);
  outcome = objective.aggregate(1, items, answer(items, 0.4, 0.8, 0.25));
  EXPECT_NEAR(outcome.candidates[0].fitness, (3.0 * 0.5 + 1.0 * 0.5) / 4.0 - 0.125, 1e-12);

  // The same generation again: every reference is cached now.
  items = objective.plan(1, population);
  for (const auto& item : items) EXPECT_EQ(item.kind, NammObjective::kMember);
}

TEST(NammObjective, GroupedItemsCarryConsecutiveCandidates) {
  NammObjectiveSettings grouped = settings();
  grouped.genomes_per_item = 2;
  NammObjective objective(grouped, ObjectiveRole::kCoordinator);
  NammObjective single(settings(), ObjectiveRole::kCoordinator);
  Eigen::MatrixXd population = Eigen::MatrixXd::Random(objective.dimension(), 3);
  const auto items = objective.plan(0, population);
  // One reference item, then candidates {0, 1} and {2}.
  ASSERT_EQ(items.size(), 3u);
  EXPECT_EQ(items[1].candidate, 0);
  EXPECT_EQ(items[1].genome.size(), 2u * 4172u);
  EXPECT_EQ(items[1].genome[4172], population(0, 1));
  EXPECT_EQ(items[2].candidate, 2);
  EXPECT_EQ(items[2].genome.size(), 4172u);
  const auto outcome = objective.aggregate(0, items, answer(items, 0.4, 0.8, 0.25));
  const auto single_items = single.plan(0, population);
  const auto expected = single.aggregate(0, single_items, answer(single_items, 0.4, 0.8, 0.25));
  ASSERT_EQ(outcome.candidates.size(), 3u);
  for (int c = 0; c < 3; ++c) EXPECT_EQ(outcome.candidates[c].fitness, expected.candidates[c].fitness);
  // A failed group item makes both its candidates missing, the other group keeps its fitness.
  auto results = answer(items, 0.4, 0.8, 0.25);
  results[1].ok = false;
  const auto failed = objective.aggregate(0, items, results);
  EXPECT_TRUE(std::isnan(failed.candidates[0].fitness));
  EXPECT_TRUE(std::isnan(failed.candidates[1].fitness));
  EXPECT_EQ(failed.candidates[2].fitness, expected.candidates[2].fitness);
}

TEST(NammObjective, AFailedItemMakesOnlyItsCandidateMissing) {
  NammObjective objective(settings(), ObjectiveRole::kCoordinator);
  const Eigen::MatrixXd population = Eigen::MatrixXd::Zero(objective.dimension(), 2);
  auto items = objective.plan(0, population);
  auto results = answer(items, 0.5, 0.5, 1.0);
  results.back().ok = false;
  const auto outcome = objective.aggregate(0, items, results);
  EXPECT_TRUE(std::isfinite(outcome.candidates[0].fitness));
  EXPECT_TRUE(std::isnan(outcome.candidates[1].fitness));
}

TEST(NammObjective, ZeroFullCacheScoresCountUnnormalised) {
  NammObjective objective(settings(), ObjectiveRole::kCoordinator);
  const Eigen::MatrixXd population = Eigen::MatrixXd::Zero(objective.dimension(), 1);
  const auto items = objective.plan(0, population);
  const auto outcome = objective.aggregate(0, items, answer(items, 0.3, 0.0, 0.0));
  EXPECT_NEAR(outcome.candidates[0].fitness, 0.3, 1e-12);
}

TEST(NammObjective, PlansAgreeBetweenInstancesAndChecksComeEveryInterval) {
  NammObjective first(settings(), ObjectiveRole::kCoordinator);
  NammObjective second(settings(), ObjectiveRole::kCoordinator);
  const Eigen::MatrixXd population = Eigen::MatrixXd::Zero(first.dimension(), 1);
  for (std::int64_t generation = 0; generation < 4; ++generation) {
    const auto a = first.plan(generation, population);
    const auto b = second.plan(generation, population);
    ASSERT_EQ(a.size(), b.size());
    for (std::size_t i = 0; i < a.size(); ++i) {
      EXPECT_EQ(a[i].kind, b[i].kind);
      EXPECT_EQ(a[i].batch, b[i].batch);
    }
  }
  // Checks come every heldout_interval generations, with their own references.
  EXPECT_TRUE(first.plan_check(0, Eigen::VectorXd::Zero(first.dimension())).empty());
  const auto checks = first.plan_check(1, Eigen::VectorXd::Zero(first.dimension()));
  ASSERT_FALSE(checks.empty());
  const auto check = first.aggregate_check(checks, answer(checks, 0.6, 0.6, 0.5));
  // Check items are outside the population (candidate -1): each sample scores 0.6 - 0.1.
  EXPECT_NEAR(check.fitness, 0.5 / 0.6 - 0.25, 1e-12);
}

TEST(NammObjective, ExportNeedsTheCalibration) {
  NammObjective objective(settings(), ObjectiveRole::kCoordinator);
  EXPECT_THROW(objective.weights(Eigen::VectorXd::Zero(objective.dimension())), FormatError);
  auto setup = objective.plan_setup();
  ASSERT_EQ(setup.size(), 1u);
  search::ItemResult calibration;
  calibration.ok = true;
  calibration.values.assign(1 + 2 * 17, 1.0);
  objective.accept_setup(setup, {calibration});
  EXPECT_TRUE(objective.plan_setup().empty());
  const auto weights = objective.weights(Eigen::VectorXd::Constant(objective.dimension(), 0.5));
  EXPECT_EQ(weights.genome.values.size(), 4172u);
  EXPECT_FLOAT_EQ(weights.genome.values[7], 0.5f);
  EXPECT_TRUE(weights.normalization.frozen);
}

TEST(NammObjective, BadTaskSettingsNameTheKey) {
  auto s = settings();
  s.tasks[0].length = 20;
  try {
    NammObjective objective(s, ObjectiveRole::kCoordinator);
    FAIL() << "expected a ConfigError";
  } catch (const ConfigError& error) {
    EXPECT_NE(std::string(error.what()).find("objective.namm.tasks.synth_niah_single.length"), std::string::npos)
        << error.what();
  }
}

}  // namespace
}  // namespace evomem::objectives
